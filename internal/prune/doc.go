// Package prune finds the objects a target owns in the cluster (those
// carrying its kluctl.io/discriminator label and applied by kluctl),
// computes orphans (owned but no longer rendered) and deletes objects in
// reverse apply order: workloads first, CRDs and namespaces last.
//
// Objects are never deleted when they belong to another discriminator, were
// not applied by kluctl (no "kluctl" entry in managedFields), are owned by
// another object through ownerReferences (garbage collection removes them),
// or carry kluctl.io/skip-delete or helm.sh/resource-policy: keep.
package prune
