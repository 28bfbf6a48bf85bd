// Package deploy orchestrates diff and deploy of a rendered target: it
// reads the live state, applies the items (in parallel between barriers,
// each item's objects in dependency order, Namespaces and CRDs first with
// CRDs waited for until established), runs hooks, waits for readiness,
// computes the per-object diffs against the live state, finds orphans and
// optionally prunes them. Diff is the same run as a server-side dry-run.
package deploy
