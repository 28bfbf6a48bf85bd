package render

import (
	"fmt"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/kluctl-go/kluctl/internal/k8s"
	"github.com/kluctl-go/kluctl/internal/project"
)

// postProcess adds the labels and annotations Kluctl manages: common labels
// and annotations, tags, the discriminator and the item folder.
func postProcess(p *project.Project, it *project.Item, objs []*unstructured.Unstructured) error {
	labels := map[string]string{}
	for k, v := range it.CommonLabels {
		labels[k] = v
	}
	for i, t := range it.Tags {
		labels[fmt.Sprintf("%s%d", k8s.LabelTagPrefix, i)] = t
	}
	if d := p.Target.Discriminator; d != "" {
		labels[k8s.LabelDiscriminator] = d
	}
	annotations := map[string]string{}
	for k, v := range it.CommonAnnotations {
		annotations[k] = v
	}
	annotations[k8s.AnnotationDeploymentItemDir] = p.ItemDirLabel(it)
	if it.Config.SkipDeleteIfTags {
		annotations[k8s.AnnotationSkipDeleteIfTags] = "true"
	}
	for _, o := range objs {
		o.SetLabels(merged(o.GetLabels(), labels))
		o.SetAnnotations(merged(o.GetAnnotations(), annotations))
		if err := p.Images.Resolve(o.Object, project.ImageSite{APIVersion: o.GetAPIVersion(), Kind: o.GetKind(), Name: o.GetName(), Namespace: o.GetNamespace(), Tags: it.Tags, Dir: p.ItemDirLabel(it)}, it.Vars); err != nil {
			return err
		}
	}
	return nil
}

func merged(base, add map[string]string) map[string]string {
	out := make(map[string]string, len(base)+len(add))
	for k, v := range base {
		out[k] = v
	}
	for k, v := range add {
		out[k] = v
	}
	return out
}

// fixNamespaces gives namespaced objects of Helm charts without a namespace
// the chart's install namespace, and drops the namespace of cluster-scoped
// objects, as the original does.
func fixNamespaces(scope *k8s.Scope, objs []*unstructured.Unstructured) {
	for _, o := range objs {
		namespaced, known := scope.Namespaced(o.GroupVersionKind())
		if !known {
			continue
		}
		if !namespaced {
			if o.GetNamespace() != "" {
				o.SetNamespace("")
			}
			continue
		}
		if o.GetNamespace() == "" {
			if ns := o.GetAnnotations()[k8s.AnnotationHelmInstallNamespace]; ns != "" {
				o.SetNamespace(ns)
			}
		}
	}
}
