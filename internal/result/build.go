package result

import (
	"maps"
	"sort"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/kluctl-go/kluctl/internal/diff"
	"github.com/kluctl-go/kluctl/internal/k8s"
)

// DocumentObjects lists the objects of r in the document's form: one entry
// per object the command rendered, found or touched, with what happened to
// it and its bodies masked by m. Objects that were neither rendered nor
// applied, deleted or orphaned are left out, as in the original.
func (r *Result) DocumentObjects(m *diff.Masker) []ResultObject {
	byKey := map[k8s.ObjectRef]*ResultObject{}
	get := func(ref k8s.ObjectRef) *ResultObject {
		k := ref.Key()
		o := byKey[k]
		if o == nil {
			o = &ResultObject{BaseObject: BaseObject{Ref: ref}}
			byKey[k] = o
		} else if o.Ref.Version == "" {
			o.Ref.Version = ref.Version
		}
		return o
	}
	for _, ref := range r.NewObjects {
		get(ref).New = true
	}
	for _, c := range r.ChangedObjects {
		get(c.Ref).Changes = c.Changes
	}
	for _, ref := range r.AppliedHookObjects {
		get(ref).Hook = true
	}
	for _, ref := range r.DeletedObjects {
		get(ref).Deleted = true
	}
	for _, ref := range r.OrphanObjects {
		get(ref).Orphan = true
	}
	for k, b := range r.Bodies {
		ref := k
		for _, u := range []*unstructured.Unstructured{b.Rendered, b.Applied, b.Remote} {
			if u != nil {
				ref = refWithVersion(k, u.GetAPIVersion())
				break
			}
		}
		o := get(ref)
		o.Rendered = diff.MaskedObject(b.Rendered, m)
		o.Remote = diff.MaskedObject(b.Remote, m)
		o.Applied = withoutManagedFields(diff.MaskedObject(b.Applied, m))
	}
	out := make([]ResultObject, 0, len(byKey))
	for _, o := range byKey {
		if o.Deleted {
			o.Orphan = false
		}
		if o.Rendered == nil && o.Applied == nil && !o.Deleted && !o.Orphan && !o.New && !o.Hook && len(o.Changes) == 0 {
			continue
		}
		out = append(out, *o)
	}
	sort.Slice(out, func(i, j int) bool { return refLess(out[i].Ref, out[j].Ref) })
	return out
}

// withoutManagedFields drops metadata.managedFields (bulky bookkeeping of
// the API server) from a body, copying what it changes.
func withoutManagedFields(o map[string]any) map[string]any {
	md, ok := o["metadata"].(map[string]any)
	if !ok {
		return o
	}
	if _, has := md["managedFields"]; !has {
		return o
	}
	md = maps.Clone(md)
	delete(md, "managedFields")
	o = maps.Clone(o)
	o["metadata"] = md
	return o
}

func refWithVersion(ref k8s.ObjectRef, apiVersion string) k8s.ObjectRef {
	for i := len(apiVersion) - 1; i >= 0; i-- {
		if apiVersion[i] == '/' {
			ref.Version = apiVersion[i+1:]
			return ref
		}
	}
	ref.Version = apiVersion
	return ref
}

// Messages converts result messages to the document's errors or warnings.
func Messages(l []ObjectMessage) []DeploymentError {
	if len(l) == 0 {
		return nil
	}
	out := make([]DeploymentError, len(l))
	for i, m := range l {
		out[i] = DeploymentError(m)
	}
	return out
}

// FromDocument rebuilds the lists of a Result from a command result
// document (for printing a stored result as text).
func FromDocument(cr *CommandResult) *Result {
	r := &Result{Command: cr.Command.Command, Target: cr.Command.Target, DryRun: cr.Command.DryRun, Document: cr}
	if r.Target == "" {
		r.Target = cr.Target.Name
	}
	for _, o := range cr.Objects {
		if o.New {
			r.NewObjects = append(r.NewObjects, o.Ref)
		}
		if len(o.Changes) != 0 {
			r.ChangedObjects = append(r.ChangedObjects, ChangedObject{Ref: o.Ref, Changes: o.Changes})
		}
		if o.Hook {
			r.AppliedHookObjects = append(r.AppliedHookObjects, o.Ref)
		}
		if o.Deleted {
			r.DeletedObjects = append(r.DeletedObjects, o.Ref)
		}
		if o.Orphan {
			r.OrphanObjects = append(r.OrphanObjects, o.Ref)
		}
	}
	for _, e := range cr.Errors {
		r.Errors = append(r.Errors, ObjectMessage(e))
	}
	for _, w := range cr.Warnings {
		r.Warnings = append(r.Warnings, ObjectMessage(w))
	}
	r.Sort()
	return r
}
