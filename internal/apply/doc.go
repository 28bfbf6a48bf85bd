// Package apply server-side applies one object at a time with field manager
// "kluctl", for real or as a server-side dry-run, and handles what can go
// wrong the way Kluctl does: field manager conflicts (force for
// kluctl/kubectl-like managers, otherwise drop the field and warn about lost
// ownership, tuned by annotations and conflictResolution rules), and apply
// errors such as immutable fields (replace, or delete and re-create, when
// asked to). It also deletes single objects and waits until they are gone.
//
// The package does not order objects or run hooks; see package deploy.
package apply
