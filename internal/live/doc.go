// Package live reads the current cluster state of a set of rendered
// objects, cheaply: one paged LIST per kind and namespace where several
// objects share them, concurrent GETs otherwise. Diff and deploy compare
// against this snapshot; validate checks its readiness.
package live
