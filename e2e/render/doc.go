// Package render holds the end-to-end tests of `kluctl render`: the example
// projects render exactly what the reference implementation renders, and
// bad input fails with clear errors.
package render
