package engine

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/kluctl-go/kluctl/internal/project"
)

func strp(s string) *string { return &s }

func podTemplate(containers, initContainers []any) map[string]any {
	spec := map[string]any{"containers": containers}
	if initContainers != nil {
		spec["initContainers"] = initContainers
	}
	return map[string]any{"spec": map[string]any{"replicas": int64(2), "template": map[string]any{"spec": spec}}}
}

func container(name, image string) map[string]any {
	return map[string]any{"name": name, "image": image}
}

func TestImagePatch(t *testing.T) {
	seen := func(container, result string) project.FixedImage {
		return project.FixedImage{Image: strp("img"), Container: strp(container), ResultImage: result}
	}
	cases := []struct {
		name   string
		obj    map[string]any
		images []project.FixedImage
		want   []jsonPatchOp
	}{
		{
			name:   "one container changes",
			obj:    podTemplate([]any{container("sidecar", "s:1"), container("app", "a:1")}, nil),
			images: []project.FixedImage{seen("app", "a:2")},
			want: []jsonPatchOp{
				{Op: "test", Path: "/spec/template/spec/containers/1/name", Value: "app"},
				{Op: "add", Path: "/spec/template/spec/containers/1/image", Value: "a:2"},
			},
		},
		{
			name:   "already the wanted image",
			obj:    podTemplate([]any{container("app", "a:2")}, nil),
			images: []project.FixedImage{seen("app", "a:2")},
		},
		{
			name:   "init containers too, the later seen image wins",
			obj:    podTemplate([]any{container("app", "a:1")}, []any{container("init", "i:1")}),
			images: []project.FixedImage{seen("init", "i:2"), seen("init", "i:3")},
			want: []jsonPatchOp{
				{Op: "test", Path: "/spec/template/spec/initContainers/0/name", Value: "init"},
				{Op: "add", Path: "/spec/template/spec/initContainers/0/image", Value: "i:3"},
			},
		},
		{
			name:   "no container of that name",
			obj:    podTemplate([]any{container("app", "a:1")}, nil),
			images: []project.FixedImage{seen("other", "o:1")},
		},
		{
			name:   "not a pod template",
			obj:    map[string]any{"data": map[string]any{"image": "a:1"}},
			images: []project.FixedImage{seen("", "a:2")},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if diff := cmp.Diff(tc.want, imagePatch(tc.obj, tc.images)); diff != "" {
				t.Errorf("imagePatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestDeployedImage(t *testing.T) {
	cases := []struct {
		name      string
		rendered  map[string]any
		remote    map[string]any
		container string
		result    string
		want      *string
	}{
		{
			name:      "image field of the container",
			rendered:  podTemplate([]any{container("sidecar", "a:2"), container("app", "a:2")}, nil),
			remote:    podTemplate([]any{container("sidecar", "s:1"), container("app", "a:1")}, nil),
			container: "app", result: "a:2", want: strp("a:1"),
		},
		{
			name:      "container not deployed yet",
			rendered:  podTemplate([]any{container("app", "a:2")}, []any{container("init", "i:2")}),
			remote:    podTemplate([]any{container("app", "a:1")}, nil),
			container: "init", result: "i:2",
		},
		{
			name:      "result only part of a value",
			rendered:  podTemplate([]any{container("app", "registry/a:2")}, nil),
			remote:    podTemplate([]any{container("app", "registry/a:1")}, nil),
			container: "app", result: "a:2",
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if diff := cmp.Diff(tc.want, deployedImage(tc.rendered, tc.remote, tc.container, tc.result)); diff != "" {
				t.Errorf("deployedImage (-want +got):\n%s", diff)
			}
		})
	}
}

func TestSortedSeenOrdersByImage(t *testing.T) {
	seen := []project.FixedImage{
		{Image: strp("b"), Deployment: strp("Deployment/x"), ResultImage: "b:1"},
		{Image: strp("a"), Deployment: strp("Deployment/y"), ResultImage: "a:1"},
		{Image: strp("a"), Deployment: strp("Deployment/z"), ResultImage: "a:1"},
	}
	var got []string
	for _, fi := range sortedSeen(seen) {
		got = append(got, *fi.Image+" "+*fi.Deployment)
	}
	if diff := cmp.Diff([]string{"a Deployment/y", "a Deployment/z", "b Deployment/x"}, got); diff != "" {
		t.Errorf("order (-want +got):\n%s", diff)
	}
	simple := simplified(seen)
	if diff := cmp.Diff(project.FixedImage{Image: strp("a"), ResultImage: "a:1"}, simple[0]); diff != "" {
		t.Errorf("simplified (-want +got):\n%s", diff)
	}
}
