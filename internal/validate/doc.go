// Package validate checks the readiness and status of every object a target
// renders, as `kluctl validate` does: missing objects are errors, objects
// that are not ready yet are reported with the reason, and the result fails
// unless everything is ready.
package validate
