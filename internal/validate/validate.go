package validate

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"time"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/kluctl-go/kluctl/internal/diff"
	"github.com/kluctl-go/kluctl/internal/hooks"
	"github.com/kluctl-go/kluctl/internal/k8s"
	"github.com/kluctl-go/kluctl/internal/live"
	"github.com/kluctl-go/kluctl/internal/readiness"
	"github.com/kluctl-go/kluctl/internal/render"
	"github.com/kluctl-go/kluctl/internal/result"
)

// Options configures Validate.
type Options struct {
	// Concurrency bounds parallel requests; default 16.
	Concurrency int
	// Now is the time readiness is judged at; zero means time.Now().
	Now time.Time
}

// Validate reads every object of the deployed items of res (hooks
// excepted: they may be deleted by their policy) and checks its readiness.
// The error is non-nil when an object is missing or not ready.
func Validate(ctx context.Context, c *k8s.Clients, res *render.Result, opts Options) (*result.ValidateResult, error) {
	if opts.Now.IsZero() {
		opts.Now = time.Now()
	}
	var objs []*unstructured.Unstructured
	for _, it := range res.Items {
		if it.OnlyRender || (it.Excluded && !it.AlwaysDeploy) {
			continue
		}
		for _, o := range it.Objects {
			if h, _, err := hooks.Parse(o); err == nil && h != nil {
				continue
			}
			objs = append(objs, o)
		}
	}
	lv, err := live.Load(ctx, c, objs, live.Options{Concurrency: opts.Concurrency, Selector: k8s.DiscriminatorSelector(res.Discriminator)})
	if err != nil {
		return nil, fmt.Errorf("validate: %w", err)
	}
	m := diff.NewMasker(res.SensitiveValues)
	out := &result.ValidateResult{Target: res.Target, Ready: true}
	for _, o := range objs {
		ref := k8s.RefOf(o)
		st := result.ObjectStatus{Ref: ref}
		if x := lv.Get(ref); x == nil {
			st.Errors = []string{"object not found"}
		} else {
			out.Results = append(out.Results, annotationResults(ref, x, m)...)
			s := readiness.Check(x, opts.Now)
			st.Ready = s.Ready
			for _, e := range s.Errors {
				st.Errors = append(st.Errors, m.String(e))
			}
			for _, w := range s.Warnings {
				st.Warnings = append(st.Warnings, m.String(w))
			}
		}
		for _, e := range st.Errors {
			out.Errors = append(out.Errors, result.ObjectMessage{Ref: ref, Message: e})
		}
		for _, w := range st.Warnings {
			out.Warnings = append(out.Warnings, result.ObjectMessage{Ref: ref, Message: w})
		}
		out.Ready = out.Ready && st.Ready
		out.Objects = append(out.Objects, st)
	}
	return out, out.Err()
}

// resultAnnotationPrefix marks annotations whose values objects report as
// validation results.
const resultAnnotationPrefix = "validate-result.kluctl.io/"

// annotationResults returns the validate-result.kluctl.io/ annotations of
// obj as result entries, sorted by annotation.
func annotationResults(ref k8s.ObjectRef, obj *unstructured.Unstructured, m *diff.Masker) []result.ValidateResultEntry {
	var out []result.ValidateResultEntry
	for k, v := range obj.GetAnnotations() {
		if strings.HasPrefix(k, resultAnnotationPrefix) {
			out = append(out, result.ValidateResultEntry{Ref: ref, Annotation: k, Message: m.String(v)})
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Annotation < out[j].Annotation })
	return out
}
