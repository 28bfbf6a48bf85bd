package results

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"sort"
	"strconv"
	"sync/atomic"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/kluctl-go/kluctl/internal/k8s"
	"github.com/kluctl-go/kluctl/internal/result"
)

var (
	secretsGVR    = schema.GroupVersionResource{Version: "v1", Resource: "secrets"}
	namespacesGVR = schema.GroupVersionResource{Version: "v1", Resource: "namespaces"}
)

// Options configure a Store.
type Options struct {
	// Namespace receives written results; DefaultNamespace when empty.
	Namespace string
	// KeepCommandResults and KeepValidateResults are how many results per
	// project and target survive a write (5 and 2 when 0; a negative
	// value keeps all).
	KeepCommandResults  int
	KeepValidateResults int
	// MaxSecretBytes bounds the data of one result Secret; results above
	// it are reduced. Default 900 KiB (a Secret holds at most 1 MiB).
	MaxSecretBytes int
}

// Store reads and writes results in one cluster. It is safe for
// concurrent use.
type Store struct {
	c    *k8s.Clients
	opts Options
	// nsExists remembers that the namespace was found or created.
	nsExists atomic.Bool
}

// New returns a Store on the cluster of c.
func New(c *k8s.Clients, opts Options) *Store {
	if opts.Namespace == "" {
		opts.Namespace = DefaultNamespace
	}
	if opts.KeepCommandResults == 0 {
		opts.KeepCommandResults = 5
	}
	if opts.KeepValidateResults == 0 {
		opts.KeepValidateResults = 2
	}
	if opts.MaxSecretBytes <= 0 {
		opts.MaxSecretBytes = 900 << 10
	}
	return &Store{c: c, opts: opts}
}

// WriteCommandResult stores cr and removes the results of the same project
// and target beyond the keep count. The returned warnings say what was
// reduced or could not be cleaned up; the error means nothing was stored.
func (s *Store) WriteCommandResult(ctx context.Context, cr *result.CommandResult) ([]string, error) {
	enc, err := s.encodeCommandResult(cr)
	if err != nil {
		return nil, err
	}
	labels := map[string]string{LabelResult: "true", LabelCommandResultID: cr.ID, LabelResultKey: resultKey(cr.ProjectKey, cr.TargetKey)}
	deploymentLabels(labels, cr.KluctlDeployment)
	projectAnnotations(enc.annotations, cr.ProjectKey)
	if err := s.apply(ctx, secretName("cr", cr.ID, cr.ProjectKey), labels, enc.annotations, enc.data); err != nil {
		return enc.warnings, err
	}
	return append(enc.warnings, cleanup(ctx, s, commandKind, s.opts.KeepCommandResults, cr.ID, cr.ProjectKey, cr.TargetKey)...), nil
}

// WriteValidateResult stores v and removes old validate results of the
// same project and target beyond the keep count.
func (s *Store) WriteValidateResult(ctx context.Context, v *result.ValidateDocument) ([]string, error) {
	summary, err := json.Marshal(v.Summary())
	if err != nil {
		return nil, err
	}
	body, err := gzipJSON(v)
	if err != nil {
		return nil, fmt.Errorf("encode validate result: %w", err)
	}
	if len(body) > s.opts.MaxSecretBytes {
		return nil, fmt.Errorf("validate result %s is %d bytes compressed, more than a Secret holds (%d)", v.ID, len(body), s.opts.MaxSecretBytes)
	}
	labels := map[string]string{LabelResult: "true", LabelValidateResultID: v.ID, LabelResultKey: resultKey(v.ProjectKey, v.TargetKey)}
	deploymentLabels(labels, v.KluctlDeployment)
	annotations := map[string]string{AnnotationValidateSummary: string(summary)}
	projectAnnotations(annotations, v.ProjectKey)
	if err := s.apply(ctx, secretName("vr", v.ID, v.ProjectKey), labels, annotations, map[string][]byte{KeyValidateResult: body}); err != nil {
		return nil, err
	}
	return cleanup(ctx, s, validateKind, s.opts.KeepValidateResults, v.ID, v.ProjectKey, v.TargetKey), nil
}

func deploymentLabels(labels map[string]string, kd *result.KluctlDeploymentInfo) {
	if kd != nil {
		labels[LabelDeploymentName] = kd.Name
		labels[LabelDeploymentNamespace] = kd.Namespace
	}
}

func projectAnnotations(annotations map[string]string, key result.ProjectKey) {
	if key.RepoKey != "" {
		annotations[AnnotationProjectRepoKey] = key.RepoKey
	}
	if key.SubDir != "" {
		annotations[AnnotationProjectSubDir] = key.SubDir
	}
}

// apply writes one result Secret by server-side apply, creating the
// namespace first when it is missing.
func (s *Store) apply(ctx context.Context, name string, labels, annotations map[string]string, data map[string][]byte) error {
	if err := s.ensureNamespace(ctx); err != nil {
		return err
	}
	u := &unstructured.Unstructured{Object: map[string]any{"apiVersion": "v1", "kind": "Secret"}}
	u.SetName(name)
	u.SetNamespace(s.opts.Namespace)
	u.SetLabels(labels)
	u.SetAnnotations(annotations)
	enc := map[string]any{}
	for k, v := range data {
		enc[k] = base64.StdEncoding.EncodeToString(v)
	}
	u.Object["data"] = enc
	_, err := s.c.Dynamic.Resource(secretsGVR).Namespace(s.opts.Namespace).Apply(ctx, name, u, metav1.ApplyOptions{FieldManager: FieldManager, Force: true})
	if apierrors.IsNotFound(err) && s.nsExists.Swap(false) {
		// The namespace was deleted since it was last seen.
		return s.apply(ctx, name, labels, annotations, data)
	}
	if err != nil {
		return fmt.Errorf("write result Secret %s/%s: %w", s.opts.Namespace, name, err)
	}
	return nil
}

func (s *Store) ensureNamespace(ctx context.Context) error {
	if s.nsExists.Load() {
		return nil
	}
	nsc := s.c.Dynamic.Resource(namespacesGVR)
	_, err := nsc.Get(ctx, s.opts.Namespace, metav1.GetOptions{})
	if err == nil || !apierrors.IsNotFound(err) {
		if apierrors.IsForbidden(err) {
			return nil // may still be allowed to write Secrets in it
		}
		if err != nil {
			return fmt.Errorf("read results namespace %s: %w", s.opts.Namespace, err)
		}
		s.nsExists.Store(true)
		return nil
	}
	ns := &unstructured.Unstructured{Object: map[string]any{"apiVersion": "v1", "kind": "Namespace"}}
	ns.SetName(s.opts.Namespace)
	if _, err := nsc.Create(ctx, ns, metav1.CreateOptions{FieldManager: FieldManager}); err != nil && !apierrors.IsAlreadyExists(err) {
		return fmt.Errorf("create results namespace %s: %w", s.opts.Namespace, err)
	}
	s.nsExists.Store(true)
	return nil
}

// entry is a stored result as far as cleanup needs it.
type entry struct {
	id         string
	start, end metav1.Time
	rv         string
}

// newerThan orders results newest first: by start and end time (whole
// seconds), then by the order they were stored in.
func (a entry) newerThan(b entry) bool {
	if !a.start.Equal(&b.start) {
		return b.start.Before(&a.start)
	}
	if !a.end.Equal(&b.end) {
		return b.end.Before(&a.end)
	}
	ra, ea := strconv.ParseUint(a.rv, 10, 64)
	rb, eb := strconv.ParseUint(b.rv, 10, 64)
	if ea == nil && eb == nil && ra != rb {
		return ra > rb
	}
	return a.id < b.id
}

// cleanup deletes the results of kind k of one project and target beyond
// the newest keep (counting the just written keepID, which always stays).
func cleanup[S any](ctx context.Context, s *Store, k kind[S], keep int, keepID string, project result.ProjectKey, target result.TargetKey) []string {
	if keep < 0 {
		return nil
	}
	// The results of this project and target, and those written without
	// the key label (by the original or older versions).
	var list []metav1.PartialObjectMetadata
	for _, sel := range []string{k.label + "," + LabelResultKey + "=" + resultKey(project, target), k.label + ",!" + LabelResultKey} {
		l, err := s.listMeta(ctx, sel, s.opts.Namespace)
		if err != nil {
			return []string{fmt.Sprintf("could not list old results for cleanup: %v", err)}
		}
		list = append(list, l...)
	}
	var same []entry
	for _, m := range list {
		if _, ab, ok := k.summary(m); ok && ab.id != keepID && ab.project == project && ab.target == target {
			same = append(same, ab.entry(m))
		}
	}
	sort.SliceStable(same, func(i, j int) bool { return same[i].newerThan(same[j]) })
	var warnings []string
	for i := max(keep-1, 0); i < len(same); i++ {
		if err := s.deleteByLabel(ctx, k.label, same[i].id); err != nil {
			warnings = append(warnings, fmt.Sprintf("failed to delete old result %s: %v", same[i].id, err))
		}
	}
	return warnings
}

func (s *Store) deleteByLabel(ctx context.Context, label, id string) error {
	return s.c.Dynamic.Resource(secretsGVR).Namespace(s.opts.Namespace).DeleteCollection(ctx, metav1.DeleteOptions{}, metav1.ListOptions{LabelSelector: label + "=" + id})
}

// DeleteCommandResult removes the stored result with id.
func (s *Store) DeleteCommandResult(ctx context.Context, id string) error {
	if id == "" {
		return fmt.Errorf("no result id given")
	}
	return s.deleteByLabel(ctx, LabelCommandResultID, id)
}
