package deploy

import (
	"sync"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/kluctl-go/kluctl/internal/diff"
	"github.com/kluctl-go/kluctl/internal/k8s"
	"github.com/kluctl-go/kluctl/internal/result"
)

// recorder gathers the outcome of the concurrently applied objects of one
// run; every message passes the masker before it is stored.
type recorder struct {
	mu     sync.Mutex
	res    result.Result
	masker *diff.Masker
	errRef map[k8s.ObjectRef]bool
	done   map[k8s.ObjectRef]bool
}

func newRecorder(m *diff.Masker) *recorder {
	return &recorder{masker: m, errRef: map[k8s.ObjectRef]bool{}, done: map[k8s.ObjectRef]bool{}}
}

// applied records that ref was applied (changed or not).
func (r *recorder) applied(ref k8s.ObjectRef) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.done[ref.Key()] = true
}

// settled tells whether ref was applied or failed.
func (r *recorder) settled(ref k8s.ObjectRef) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.done[ref.Key()] || r.errRef[ref.Key()]
}

// bodies records the states of one object (see result.Result.SetBodies).
func (r *recorder) bodies(ref k8s.ObjectRef, rendered, remote, applied *unstructured.Unstructured) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.res.SetBodies(ref, rendered, remote, applied)
}

func (r *recorder) newObject(ref k8s.ObjectRef) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.res.NewObjects = append(r.res.NewObjects, ref)
}

func (r *recorder) changed(ref k8s.ObjectRef, changes []diff.Change) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.res.ChangedObjects = append(r.res.ChangedObjects, result.ChangedObject{Ref: ref, Changes: changes})
}

func (r *recorder) hooks(refs ...k8s.ObjectRef) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.res.AppliedHookObjects = append(r.res.AppliedHookObjects, refs...)
}

func (r *recorder) deleted(refs ...k8s.ObjectRef) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.res.DeletedObjects = append(r.res.DeletedObjects, refs...)
}

func (r *recorder) warn(ref k8s.ObjectRef, msgs ...string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, m := range msgs {
		r.res.Warnings = append(r.res.Warnings, result.ObjectMessage{Ref: ref, Message: r.masker.String(m)})
	}
}

func (r *recorder) fail(ref k8s.ObjectRef, err error) {
	if err == nil {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.errRef[ref.Key()] = true
	r.res.Errors = append(r.res.Errors, result.ObjectMessage{Ref: ref, Message: r.masker.String(err.Error())})
}

func (r *recorder) hadErrors() bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.res.Errors) != 0
}

func (r *recorder) failed(ref k8s.ObjectRef) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.errRef[ref.Key()]
}
