package controller

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"

	"github.com/kluctl-go/kluctl/api/v1alpha1"
	"github.com/kluctl-go/kluctl/internal/fluxartifact"
)

// fluxSourceGroup is the API group of Flux's sources.
const fluxSourceGroup = "source.toolkit.fluxcd.io"

// fluxSource is a Flux source as far as a KluctlDeployment needs it: its
// artifact and, for a GitRepository, the repository it pulls.
type fluxSource struct {
	kind, namespace, name string
	artifact              *fluxartifact.Ref
	// url and ref are the GitRepository's spec.url and spec.ref;
	// secretRef its spec.secretRef.name (in namespace).
	url       string
	ref       map[string]any
	secretRef string
}

// errSourceNotReady is a source without an artifact (yet).
var errSourceNotReady = errors.New("artifact not found")

// sourceGVK is the kind a sourceRef names: GitRepository or Bucket, at
// the given apiVersion or the one current Flux serves.
func sourceGVK(ref v1alpha1.CrossNamespaceSourceReference) (schema.GroupVersionKind, error) {
	if ref.Kind != "GitRepository" && ref.Kind != "Bucket" {
		return schema.GroupVersionKind{}, fmt.Errorf("spec.sourceRef.kind: %q is not GitRepository or Bucket", ref.Kind)
	}
	gv := schema.GroupVersion{Group: fluxSourceGroup, Version: "v1"}
	if ref.APIVersion != "" {
		var err error
		if gv, err = schema.ParseGroupVersion(ref.APIVersion); err != nil {
			return schema.GroupVersionKind{}, fmt.Errorf("spec.sourceRef.apiVersion: %w", err)
		}
		if gv.Group != fluxSourceGroup {
			return schema.GroupVersionKind{}, fmt.Errorf("spec.sourceRef.apiVersion: %q is not a Flux source API (%s)", ref.APIVersion, fluxSourceGroup)
		}
	}
	return gv.WithKind(ref.Kind), nil
}

// getFluxSource reads the source fkd refers to, in its namespace unless
// the reference names another one (as Flux allows).
func (r *Reconciler) getFluxSource(ctx context.Context, fkd *v1alpha1.KluctlDeployment) (*fluxSource, error) {
	return r.getFluxSourceRef(ctx, fkd.Namespace, fkd.Spec.SourceRef)
}

// getFluxSourceRef reads the source ref names, in namespace unless the
// reference names another one.
func (r *Reconciler) getFluxSourceRef(ctx context.Context, namespace string, ref v1alpha1.CrossNamespaceSourceReference) (*fluxSource, error) {
	gvk, err := sourceGVK(ref)
	if err != nil {
		return nil, err
	}
	ns := ref.Namespace
	if ns == "" {
		ns = namespace
	}
	u := &unstructured.Unstructured{}
	u.SetGroupVersionKind(gvk)
	if err := r.apiReader.Get(ctx, types.NamespacedName{Namespace: ns, Name: ref.Name}, u); err != nil {
		return nil, fmt.Errorf("source '%s/%s/%s': %w", ref.Kind, ns, ref.Name, err)
	}
	s := &fluxSource{kind: ref.Kind, namespace: ns, name: ref.Name}
	s.url, _, _ = unstructured.NestedString(u.Object, "spec", "url")
	s.ref, _, _ = unstructured.NestedMap(u.Object, "spec", "ref")
	s.secretRef, _, _ = unstructured.NestedString(u.Object, "spec", "secretRef", "name")
	if s.artifact, err = artifactOf(u); err != nil {
		return s, fmt.Errorf("source '%s/%s/%s' is not ready: %w", ref.Kind, ns, ref.Name, err)
	}
	return s, nil
}

// artifactOf returns the artifact in the status of the source u, or an
// error wrapping errSourceNotReady with what the source's Ready condition
// says when it is not True (why source-controller has no artifact).
func artifactOf(u *unstructured.Unstructured) (*fluxartifact.Ref, error) {
	art, _, _ := unstructured.NestedMap(u.Object, "status", "artifact")
	str := func(k string) string { v, _ := art[k].(string); return v }
	if a := (fluxartifact.Ref{URL: str("url"), Revision: str("revision"), Digest: str("digest"), Checksum: str("checksum")}); a.URL != "" {
		return &a, nil
	}
	conds, _, _ := unstructured.NestedSlice(u.Object, "status", "conditions")
	for _, c := range conds {
		m, _ := c.(map[string]any)
		if m["type"] != "Ready" || m["status"] == "True" {
			continue
		}
		msg, _ := m["message"].(string)
		return nil, fmt.Errorf("%w (Ready=%v, %v: %s)", errSourceNotReady, m["status"], m["reason"], strings.TrimRight(msg, ": "))
	}
	return nil, errSourceNotReady
}
