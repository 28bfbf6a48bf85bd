package apply

import (
	"context"
	"fmt"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"

	"github.com/kluctl-go/kluctl/internal/k8s"
)

// DefaultDeleteTimeout bounds waiting for a deleted object to disappear.
const DefaultDeleteTimeout = 2 * time.Minute

// DeleteOptions configures Delete.
type DeleteOptions struct {
	// Wait polls until the object is gone (not in dry-run mode).
	Wait bool
	// Timeout bounds the wait; zero means DefaultDeleteTimeout.
	Timeout time.Duration
}

// Delete deletes the object ref with background propagation (dependents
// such as a Job's pods are garbage collected) and, with opts.Wait, waits
// until it is gone. It reports whether the object existed; a missing object
// is not an error.
func (a *Applier) Delete(ctx context.Context, ref k8s.ObjectRef, opts DeleteOptions) (bool, error) {
	gvk := schema.GroupVersionKind{Group: ref.Group, Version: ref.Version, Kind: ref.Kind}
	ri, _, err := a.c.Resource(gvk, ref.Namespace)
	if err != nil {
		return false, fmt.Errorf("delete %s: %w", ref, err)
	}
	live, err := ri.Get(ctx, ref.Name, metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		return false, nil
	} else if err != nil {
		return false, fmt.Errorf("delete %s: %w", ref, err)
	}
	uid := live.GetUID()
	bg := metav1.DeletePropagationBackground
	err = ri.Delete(ctx, ref.Name, metav1.DeleteOptions{
		PropagationPolicy: &bg,
		DryRun:            a.dryRun(),
		Preconditions:     &metav1.Preconditions{UID: &uid},
	})
	if apierrors.IsNotFound(err) || apierrors.IsConflict(err) {
		return false, nil // gone, or already replaced by someone else
	} else if err != nil {
		return false, fmt.Errorf("delete %s: %w", ref, err)
	}
	if !opts.Wait || a.opts.DryRun {
		return true, nil
	}
	if opts.Timeout == 0 {
		opts.Timeout = DefaultDeleteTimeout
	}
	ctx, cancel := context.WithTimeout(ctx, opts.Timeout)
	defer cancel()
	if err := waitGone(ctx, func(ctx context.Context) (types.UID, error) {
		o, err := ri.Get(ctx, ref.Name, metav1.GetOptions{})
		if err != nil {
			return "", err
		}
		return o.GetUID(), nil
	}, uid); err != nil {
		return true, fmt.Errorf("wait for deletion of %s: %w", ref, err)
	}
	return true, nil
}

// waitGone polls get until it reports NotFound or another object (new UID).
func waitGone(ctx context.Context, get func(context.Context) (types.UID, error), uid types.UID) error {
	interval := 100 * time.Millisecond
	for {
		got, err := get(ctx)
		if apierrors.IsNotFound(err) || (err == nil && got != uid) {
			return nil
		}
		if err != nil {
			return err
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(interval):
		}
		if interval < time.Second {
			interval *= 2
		}
	}
}
