package result

import (
	"errors"
	"fmt"
	"sort"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/kluctl-go/kluctl/internal/diff"
	"github.com/kluctl-go/kluctl/internal/k8s"
)

// Result is the outcome of diff, deploy, prune or delete, modelled on
// Kluctl's CommandResult.
type Result struct {
	// Command is the command that produced the result (deploy, diff, ...).
	Command string `json:"command,omitempty"`
	// Target is the name of the deployed target.
	Target string `json:"target,omitempty"`
	// DryRun is true when nothing was changed in the cluster.
	DryRun bool `json:"dryRun,omitempty"`
	// NewObjects did not exist before and were (or would be) created.
	NewObjects []k8s.ObjectRef `json:"newObjects,omitempty"`
	// ChangedObjects existed and were (or would be) changed.
	ChangedObjects []ChangedObject `json:"changedObjects,omitempty"`
	// AppliedHookObjects are the hook objects that were applied.
	AppliedHookObjects []k8s.ObjectRef `json:"appliedHookObjects,omitempty"`
	// DeletedObjects were (or would be) deleted.
	DeletedObjects []k8s.ObjectRef `json:"deletedObjects,omitempty"`
	// OrphanObjects carry the target's discriminator but were not rendered.
	OrphanObjects []k8s.ObjectRef `json:"orphanObjects,omitempty"`
	// Errors are per-object errors; a non-empty list fails the command.
	Errors []ObjectMessage `json:"errors,omitempty"`
	// Warnings are per-object warnings (lost field ownership, API warnings).
	Warnings []ObjectMessage `json:"warnings,omitempty"`
	// Bodies hold the states of the objects the command saw, keyed by
	// ObjectRef.Key(); they are masked when the document is built.
	Bodies map[k8s.ObjectRef]*Bodies `json:"-"`
	// Document is the command result in the original's layout, built by
	// the engine; nil when the command did not go through the engine.
	Document *CommandResult `json:"-"`
}

// Bodies are one object as rendered, as it was in the cluster before the
// command (for orphans: its metadata) and as the command applied it; each
// may be nil.
type Bodies struct {
	Rendered, Remote, Applied *unstructured.Unstructured
}

// SetBodies records the states of one object; nil arguments keep what was
// recorded before.
func (r *Result) SetBodies(ref k8s.ObjectRef, rendered, remote, applied *unstructured.Unstructured) {
	if r.Bodies == nil {
		r.Bodies = map[k8s.ObjectRef]*Bodies{}
	}
	b := r.Bodies[ref.Key()]
	if b == nil {
		b = &Bodies{}
		r.Bodies[ref.Key()] = b
	}
	if rendered != nil {
		b.Rendered = rendered
	}
	if remote != nil {
		b.Remote = remote
	}
	if applied != nil {
		b.Applied = applied
	}
}

// ChangedObject is an existing object with its field changes.
type ChangedObject struct {
	Ref     k8s.ObjectRef `json:"ref"`
	Changes []diff.Change `json:"changes,omitempty"`
}

// ObjectMessage is a warning or error about one object; Ref is empty for
// messages that concern no single object.
type ObjectMessage struct {
	Ref     k8s.ObjectRef `json:"ref"`
	Message string        `json:"message"`
}

// ObjectError is the error form of an ObjectMessage.
type ObjectError struct {
	Ref     k8s.ObjectRef
	Message string
}

func (e *ObjectError) Error() string {
	if e.Ref == (k8s.ObjectRef{}) {
		return e.Message
	}
	return fmt.Sprintf("%s: %s", e.Ref, e.Message)
}

// Err returns the per-object errors joined (each an *ObjectError), or nil.
func (r *Result) Err() error {
	var errs []error
	for _, m := range r.Errors {
		errs = append(errs, &ObjectError{Ref: m.Ref, Message: m.Message})
	}
	return errors.Join(errs...)
}

// Sort orders every list by object reference so that output is stable,
// drops repeated references and, as the original, does not list a deleted
// orphan as an orphan.
func (r *Result) Sort() {
	r.NewObjects = uniqueRefs(r.NewObjects)
	r.AppliedHookObjects = uniqueRefs(r.AppliedHookObjects)
	r.DeletedObjects = uniqueRefs(r.DeletedObjects)
	deleted := map[k8s.ObjectRef]bool{}
	for _, d := range r.DeletedObjects {
		deleted[d.Key()] = true
	}
	var orphans []k8s.ObjectRef
	for _, o := range uniqueRefs(r.OrphanObjects) {
		if !deleted[o.Key()] {
			orphans = append(orphans, o)
		}
	}
	r.OrphanObjects = orphans
	sort.SliceStable(r.ChangedObjects, func(i, j int) bool { return refLess(r.ChangedObjects[i].Ref, r.ChangedObjects[j].Ref) })
	sortMessages(r.Errors)
	sortMessages(r.Warnings)
}

// uniqueRefs sorts l and drops repeated references (by Key).
func uniqueRefs(l []k8s.ObjectRef) []k8s.ObjectRef {
	sort.SliceStable(l, func(i, j int) bool { return refLess(l[i], l[j]) })
	out := l[:0]
	for i, r := range l {
		if i > 0 && r.Key() == l[i-1].Key() {
			continue
		}
		out = append(out, r)
	}
	return out
}

func sortMessages(l []ObjectMessage) {
	sort.SliceStable(l, func(i, j int) bool {
		if l[i].Ref != l[j].Ref {
			return refLess(l[i].Ref, l[j].Ref)
		}
		return l[i].Message < l[j].Message
	})
}

func refLess(a, b k8s.ObjectRef) bool {
	if a.Namespace != b.Namespace {
		return a.Namespace < b.Namespace
	}
	if a.Group != b.Group {
		return a.Group < b.Group
	}
	if a.Kind != b.Kind {
		return a.Kind < b.Kind
	}
	return a.Name < b.Name
}

// ValidateResult is the outcome of validate.
type ValidateResult struct {
	// Target is the name of the validated target.
	Target string `json:"target,omitempty"`
	// Ready is true when every object exists and is ready.
	Ready bool `json:"ready"`
	// Objects holds the status of each rendered object.
	Objects []ObjectStatus `json:"objects,omitempty"`
	// Errors and Warnings repeat the objects' messages, flattened.
	Errors   []ObjectMessage `json:"errors,omitempty"`
	Warnings []ObjectMessage `json:"warnings,omitempty"`
	// Results are the messages objects report through
	// validate-result.kluctl.io/ annotations.
	Results []ValidateResultEntry `json:"results,omitempty"`
	// Document is the result in the original's layout, built by the
	// engine.
	Document *ValidateDocument `json:"-"`
}

// ObjectStatus is the readiness of one object.
type ObjectStatus struct {
	Ref      k8s.ObjectRef `json:"ref"`
	Ready    bool          `json:"ready"`
	Warnings []string      `json:"warnings,omitempty"`
	Errors   []string      `json:"errors,omitempty"`
}

// Err returns an error when the validation failed.
func (v *ValidateResult) Err() error {
	if v.Ready && len(v.Errors) == 0 {
		return nil
	}
	var errs []error
	for _, m := range v.Errors {
		errs = append(errs, &ObjectError{Ref: m.Ref, Message: m.Message})
	}
	for _, o := range v.Objects {
		if !o.Ready && len(o.Errors) == 0 {
			errs = append(errs, &ObjectError{Ref: o.Ref, Message: "not ready"})
		}
	}
	if len(errs) == 0 {
		errs = append(errs, errors.New("validation failed"))
	}
	return errors.Join(errs...)
}
