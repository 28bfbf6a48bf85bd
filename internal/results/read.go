package results

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"sort"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/kluctl-go/kluctl/internal/result"
)

// Filter selects results; nil fields match everything.
type Filter struct {
	Project *result.ProjectKey
	Target  *result.TargetKey
}

func (f Filter) match(p result.ProjectKey, t result.TargetKey) bool {
	return (f.Project == nil || *f.Project == p) && (f.Target == nil || *f.Target == t)
}

// listMeta lists the metadata of the result Secrets carrying label, in ns
// ("" for all namespaces).
func (s *Store) listMeta(ctx context.Context, label, ns string) ([]metav1.PartialObjectMetadata, error) {
	var out []metav1.PartialObjectMetadata
	opts := metav1.ListOptions{LabelSelector: label, Limit: 500}
	for {
		l, err := s.c.Metadata.Resource(secretsGVR).Namespace(ns).List(ctx, opts)
		if err != nil {
			return nil, err
		}
		out = append(out, l.Items...)
		if l.Continue == "" {
			return out, nil
		}
		opts.Continue = l.Continue
	}
}

// listAll lists result Secrets in every namespace, or in the store's
// namespace when listing cluster-wide is forbidden.
func (s *Store) listAll(ctx context.Context, label string) ([]metav1.PartialObjectMetadata, error) {
	l, err := s.listMeta(ctx, label, metav1.NamespaceAll)
	if apierrors.IsForbidden(err) {
		l, err = s.listMeta(ctx, label, s.opts.Namespace)
	}
	if err != nil {
		return nil, fmt.Errorf("list results: %w", err)
	}
	return l, nil
}

// kind describes one sort of stored result: its id label and how its
// summary is read from a Secret's annotations.
type kind[S any] struct {
	label      string
	annotation string
	// about returns what listing, cleanup and ordering need of a summary.
	about func(S) about
}

// about is what the store needs to know of a summary.
type about struct {
	id         string
	project    result.ProjectKey
	target     result.TargetKey
	start, end metav1.Time
}

var (
	commandKind = kind[result.CommandResultSummary]{LabelCommandResultID, AnnotationCommandResultSummary,
		func(s result.CommandResultSummary) about {
			return about{s.ID, s.ProjectKey, s.TargetKey, s.Command.StartTime, s.Command.EndTime}
		}}
	validateKind = kind[result.ValidateResultSummary]{LabelValidateResultID, AnnotationValidateSummary,
		func(s result.ValidateResultSummary) about {
			return about{s.ID, s.ProjectKey, s.TargetKey, s.StartTime, s.EndTime}
		}}
)

// summary reads the summary of a result Secret; false when it has none or
// it cannot be read.
func (k kind[S]) summary(m metav1.PartialObjectMetadata) (S, about, bool) {
	var sum S
	a, ok := m.Annotations[k.annotation]
	if !ok || json.Unmarshal([]byte(a), &sum) != nil {
		return sum, about{}, false
	}
	ab := k.about(sum)
	return sum, ab, ab.id != ""
}

// entry orders a stored result.
func (a about) entry(m metav1.PartialObjectMetadata) entry {
	return entry{id: a.id, start: a.start, end: a.end, rv: m.ResourceVersion}
}

// listSummaries lists the stored results of kind k matching f, newest
// first. Secrets whose summary cannot be read are skipped.
func listSummaries[S any](ctx context.Context, s *Store, k kind[S], f Filter) ([]S, error) {
	l, err := s.listAll(ctx, k.label)
	if err != nil {
		return nil, err
	}
	var out []S
	var order []entry
	for _, m := range l {
		if sum, ab, ok := k.summary(m); ok && f.match(ab.project, ab.target) {
			out = append(out, sum)
			order = append(order, ab.entry(m))
		}
	}
	sortNewest(out, order)
	return out, nil
}

// ListCommandResultSummaries lists the stored command results matching f,
// newest first.
func (s *Store) ListCommandResultSummaries(ctx context.Context, f Filter) ([]result.CommandResultSummary, error) {
	return listSummaries(ctx, s, commandKind, f)
}

// ListValidateResultSummaries lists the stored validate results matching
// f, newest first.
func (s *Store) ListValidateResultSummaries(ctx context.Context, f Filter) ([]result.ValidateResultSummary, error) {
	return listSummaries(ctx, s, validateKind, f)
}

// NotFoundError is returned for an unknown result id.
type NotFoundError struct{ ID string }

func (e *NotFoundError) Error() string { return fmt.Sprintf("result %s not found", e.ID) }

// secretData returns the decoded data of the result Secret with label=id.
func (s *Store) secretData(ctx context.Context, label, id string) (map[string][]byte, error) {
	if id == "" {
		return nil, fmt.Errorf("no result id given")
	}
	opts := metav1.ListOptions{LabelSelector: label + "=" + id}
	l, err := s.c.Dynamic.Resource(secretsGVR).Namespace(metav1.NamespaceAll).List(ctx, opts)
	if apierrors.IsForbidden(err) {
		l, err = s.c.Dynamic.Resource(secretsGVR).Namespace(s.opts.Namespace).List(ctx, opts)
	}
	if err != nil {
		return nil, fmt.Errorf("read result %s: %w", id, err)
	}
	if len(l.Items) == 0 {
		return nil, &NotFoundError{ID: id}
	}
	raw, _, _ := unstructured.NestedStringMap(l.Items[0].Object, "data")
	out := map[string][]byte{}
	for k, v := range raw {
		b, err := base64.StdEncoding.DecodeString(v)
		if err != nil {
			return nil, fmt.Errorf("result %s: data %s: %w", id, k, err)
		}
		out[k] = b
	}
	return out, nil
}

// GetCommandResult reads the stored result with id; with reduced, the
// object bodies are only their metadata (cheaper to read).
func (s *Store) GetCommandResult(ctx context.Context, id string, reduced bool) (*result.CommandResult, error) {
	data, err := s.secretData(ctx, LabelCommandResultID, id)
	if err != nil {
		return nil, err
	}
	red, ok := data[KeyReducedResult]
	if !ok {
		return nil, fmt.Errorf("result %s: %s field not present", id, KeyReducedResult)
	}
	var cr result.CommandResult
	if err := gunzipJSON(red, &cr); err != nil {
		return nil, fmt.Errorf("result %s: %s: %w", id, KeyReducedResult, err)
	}
	if reduced {
		return &cr, nil
	}
	co, ok := data[KeyCompactedObjects]
	if !ok {
		return nil, fmt.Errorf("result %s: %s field not present", id, KeyCompactedObjects)
	}
	var objs result.CompactedObjects
	if err := gunzipJSON(co, &objs); err != nil {
		return nil, fmt.Errorf("result %s: %s: %w", id, KeyCompactedObjects, err)
	}
	cr.Objects = objs
	return &cr, nil
}

// GetValidateResult reads the stored validate result with id.
func (s *Store) GetValidateResult(ctx context.Context, id string) (*result.ValidateDocument, error) {
	data, err := s.secretData(ctx, LabelValidateResultID, id)
	if err != nil {
		return nil, err
	}
	b, ok := data[KeyValidateResult]
	if !ok {
		return nil, fmt.Errorf("validate result %s: %s field not present", id, KeyValidateResult)
	}
	var v result.ValidateDocument
	if err := gunzipJSON(b, &v); err != nil {
		return nil, fmt.Errorf("validate result %s: %w", id, err)
	}
	return &v, nil
}

// sortNewest sorts l newest first by the entries of the same index.
func sortNewest[S any](l []S, order []entry) {
	idx := make([]int, len(l))
	for i := range idx {
		idx[i] = i
	}
	sort.SliceStable(idx, func(a, b int) bool { return order[idx[a]].newerThan(order[idx[b]]) })
	sorted := make([]S, len(l))
	for i, j := range idx {
		sorted[i] = l[j]
	}
	copy(l, sorted)
}
