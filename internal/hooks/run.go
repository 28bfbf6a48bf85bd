package hooks

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/kluctl-go/kluctl/internal/apply"
	"github.com/kluctl-go/kluctl/internal/k8s"
	"github.com/kluctl-go/kluctl/internal/readiness"
)

// RunOptions configures Run.
type RunOptions struct {
	// DryRun applies hooks as server-side dry-runs and never waits.
	DryRun bool
	// NoWait skips waiting for hooks.
	NoWait bool
	// ReadinessTimeout is the wait timeout of hooks without their own.
	ReadinessTimeout time.Duration
	// Exists reports whether an object existed before the deploy; in
	// dry-run mode a hook that would be deleted and re-created is then not
	// sent to the server (its dry-run apply would see the old object).
	Exists func(k8s.ObjectRef) bool
}

// Outcome is what running the hooks of one phase did.
type Outcome struct {
	// Applied are the applied hook objects.
	Applied []k8s.ObjectRef
	// Deleted are hook objects deleted because of their delete policy.
	Deleted []k8s.ObjectRef
	// Warnings per hook object.
	Warnings map[k8s.ObjectRef][]string
}

// Error is the failure of one hook object.
type Error struct {
	Ref k8s.ObjectRef
	Err error
}

func (e *Error) Error() string { return fmt.Sprintf("hook %s: %v", e.Ref, e.Err) }

// Unwrap returns the cause.
func (e *Error) Unwrap() error { return e.Err }

// Run runs hooks (one phase, already in order): first it deletes the hooks
// with policy before-hook-creation, then applies each hook and waits for it
// (unless hook-wait is false), then deletes hooks per hook-succeeded and
// hook-failed. It returns the per-hook errors joined; a failed hook stops
// the hooks after it.
func Run(ctx context.Context, a *apply.Applier, hooks []*Hook, opts RunOptions) (Outcome, error) {
	out := Outcome{Warnings: map[k8s.ObjectRef][]string{}}
	var errs []error
	for _, h := range hooks {
		if !h.DeletePolicies[BeforeHookCreation] {
			continue
		}
		ref := k8s.RefOf(h.Object)
		deleted, err := a.Delete(ctx, ref, apply.DeleteOptions{Wait: true})
		if err != nil {
			return out, &Error{Ref: ref, Err: err}
		}
		if deleted {
			out.Deleted = append(out.Deleted, ref)
		}
	}
	type waited struct {
		h  *Hook
		ok bool
	}
	var done []waited
	for _, h := range hooks {
		ref := k8s.RefOf(h.Object)
		if opts.DryRun && h.DeletePolicies[BeforeHookCreation] && opts.Exists != nil && opts.Exists(ref) {
			out.Applied = append(out.Applied, ref) // would be re-created
			continue
		}
		res, err := a.Apply(ctx, h.Object, nil)
		if len(res.Warnings) != 0 {
			out.Warnings[ref] = append(out.Warnings[ref], res.Warnings...)
		}
		if err != nil {
			errs = append(errs, &Error{Ref: ref, Err: err})
			break
		}
		out.Applied = append(out.Applied, ref)
		if !h.Wait || opts.NoWait || opts.DryRun {
			continue
		}
		timeout := h.Timeout
		if timeout == 0 {
			timeout = opts.ReadinessTimeout
		}
		_, err = readiness.Wait(ctx, a.Clients(), ref, readiness.WaitOptions{Timeout: timeout})
		done = append(done, waited{h, err == nil})
		if err != nil {
			errs = append(errs, &Error{Ref: ref, Err: fmt.Errorf("failed: %w", err)})
			break
		}
	}
	for i := len(done) - 1; i >= 0; i-- {
		w := done[i]
		if !(w.ok && w.h.DeletePolicies[HookSucceeded]) && !(!w.ok && w.h.DeletePolicies[HookFailed]) {
			continue
		}
		ref := k8s.RefOf(w.h.Object)
		deleted, err := a.Delete(ctx, ref, apply.DeleteOptions{})
		if err != nil {
			errs = append(errs, &Error{Ref: ref, Err: err})
		} else if deleted {
			out.Deleted = append(out.Deleted, ref)
		}
	}
	return out, errors.Join(errs...)
}
