package readiness

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/kluctl-go/kluctl/internal/k8s"
)

// DefaultTimeout is how long Wait waits when WaitOptions.Timeout is zero.
const DefaultTimeout = 5 * time.Minute

// DefaultInterval is the polling interval of Wait.
const DefaultInterval = 500 * time.Millisecond

// WaitOptions configures Wait.
type WaitOptions struct {
	// Timeout bounds the wait; zero means DefaultTimeout.
	Timeout time.Duration
	// Interval between polls; zero means DefaultInterval.
	Interval time.Duration
}

// ErrTimeout is wrapped by Wait errors when the object did not become ready
// in time.
var ErrTimeout = errors.New("timed out waiting for readiness")

// NotReadyError reports an object that failed terminally (e.g. a failed
// Job); Status holds the details.
type NotReadyError struct {
	Ref    k8s.ObjectRef
	Status Status
}

func (e *NotReadyError) Error() string {
	return fmt.Sprintf("%s failed: %s", e.Ref, strings.Join(e.Status.Errors, "; "))
}

// Wait polls ref until it is ready, fails terminally, disappears after it
// was seen, the timeout passes or ctx ends. It returns the last status; the
// error is nil only when the object is ready.
func Wait(ctx context.Context, c *k8s.Clients, ref k8s.ObjectRef, opts WaitOptions) (Status, error) {
	if opts.Timeout == 0 {
		opts.Timeout = DefaultTimeout
	}
	if opts.Interval == 0 {
		opts.Interval = DefaultInterval
	}
	deadline := time.NewTimer(opts.Timeout)
	defer deadline.Stop()
	gvk := schema.GroupVersionKind{Group: ref.Group, Version: ref.Version, Kind: ref.Kind}
	seen := false
	var last Status
	for {
		ri, _, err := c.Resource(gvk, ref.Namespace)
		if err != nil {
			return last, fmt.Errorf("wait for %s: %w", ref, err)
		}
		obj, err := ri.Get(ctx, ref.Name, metav1.GetOptions{})
		switch {
		case apierrors.IsNotFound(err):
			if seen {
				return last, fmt.Errorf("%s disappeared while waiting for it to become ready", ref)
			}
			last = Status{Warnings: []string{"object does not exist yet"}}
		case err != nil:
			return last, fmt.Errorf("wait for %s: %w", ref, err)
		default:
			seen = true
			last = Check(obj, time.Now())
			if last.Ready {
				return last, nil
			}
			if len(last.Errors) != 0 {
				return last, &NotReadyError{Ref: ref, Status: last}
			}
		}
		select {
		case <-ctx.Done():
			return last, fmt.Errorf("wait for %s: %w", ref, ctx.Err())
		case <-deadline.C:
			return last, fmt.Errorf("%w of %s after %s: %s", ErrTimeout, ref, opts.Timeout, strings.Join(last.Warnings, "; "))
		case <-time.After(opts.Interval):
		}
	}
}
