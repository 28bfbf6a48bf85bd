// Package diff compares a live object with the object the API server would
// hold after an apply and describes the difference as a list of per-field
// changes, each with a JSON path and a unified diff of the field's value.
//
// Objects are normalised first (server-populated metadata, status and the
// fields named by ignoreForDiff rules and kluctl.io/ignore-diff* annotations
// are removed), and Secret data and sensitive values are masked so that a
// diff never shows them in clear text while still showing that they changed.
package diff
