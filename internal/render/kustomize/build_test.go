package kustomize

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/yaml"
)

func TestBuild(t *testing.T) {
	tests := []struct {
		name     string
		dir      string
		wantObjs []string
		// wantFields maps "Kind/name field.path" to the wanted value.
		wantFields map[string]any
	}{
		{
			name:     "kustomization with patches and a base inside the project",
			dir:      "patches",
			wantObjs: []string{"Deployment/app-ns/web", "ConfigMap/app-ns/common-settings"},
			wantFields: map[string]any{
				"Deployment/app-ns/web spec.replicas":                int64(3),
				"ConfigMap/app-ns/common-settings data.level":        "debug",
				"Deployment/app-ns/web spec.template.spec.dnsPolicy": nil,
			},
		},
		{
			name: "generated kustomization",
			dir:  "generated",
			wantObjs: []string{
				"ConfigMap//web-config", "Service//web", "ServiceAccount//web", "Namespace//web-ns",
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			objs, err := Build(context.Background(), filepath.Join("testdata", "project", tt.dir), Options{Root: "testdata/project"})
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.wantObjs, objectIDs(objs)); diff != "" {
				t.Errorf("objects (-want +got):\n%s", diff)
			}
			for key, want := range tt.wantFields {
				id, field, _ := strings.Cut(key, " ")
				got, found, err := unstructured.NestedFieldNoCopy(findObject(t, objs, id).Object, strings.Split(field, ".")...)
				if err != nil {
					t.Fatal(err)
				}
				if !found {
					got = nil
				}
				if diff := cmp.Diff(want, got); diff != "" {
					t.Errorf("%s (-want +got):\n%s", key, diff)
				}
			}
		})
	}
}

func TestBuildErrors(t *testing.T) {
	tests := []struct {
		name    string
		dir     string
		root    string
		wantErr []string
		// wantOutside expects an *OutsideRootError in the chain.
		wantOutside bool
	}{
		{
			name:        "resource escaping the project",
			dir:         "testdata/project/escaping",
			root:        "testdata/project",
			wantErr:     []string{"kustomize build testdata/project/escaping", "outside.yaml is outside of"},
			wantOutside: true,
		},
		{
			name:        "folder outside the root",
			dir:         "testdata/project/settings-base",
			root:        "testdata/project/patches",
			wantErr:     []string{"is outside of"},
			wantOutside: true,
		},
		{
			name:    "folder without kustomization and yaml files",
			dir:     "testdata/project/empty",
			root:    "testdata/project",
			wantErr: []string{"kustomize build testdata/project/empty", "no kustomization file and no .yaml or .yml files"},
		},
		{
			name:    "two kustomization files",
			dir:     "testdata/project/two-kustomizations",
			root:    "testdata/project",
			wantErr: []string{"more than one kustomization file"},
		},
		{
			name:    "missing folder",
			dir:     "testdata/project/missing",
			root:    "testdata/project",
			wantErr: []string{"kustomize build testdata/project/missing"},
		},
		{
			name:    "missing root",
			dir:     "testdata/project/patches",
			wantErr: []string{"project root is not set"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Build(context.Background(), tt.dir, Options{Root: tt.root})
			if err == nil {
				t.Fatal("Build succeeded, want an error")
			}
			for _, want := range tt.wantErr {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("error %q does not contain %q", err, want)
				}
			}
			var outside *OutsideRootError
			if got := errors.As(err, &outside); got != tt.wantOutside {
				t.Errorf("errors.As(OutsideRootError) = %v, want %v (err %v)", got, tt.wantOutside, err)
			}
		})
	}
}

func TestBuildSymlinkEscapingRoot(t *testing.T) {
	tmp := t.TempDir()
	root := filepath.Join(tmp, "project")
	item := filepath.Join(root, "item")
	if err := os.MkdirAll(item, 0o755); err != nil {
		t.Fatal(err)
	}
	secret := filepath.Join(tmp, "secret.yaml")
	if err := os.WriteFile(secret, []byte("apiVersion: v1\nkind: Secret\nmetadata:\n  name: leaked\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(secret, filepath.Join(item, "secret.yaml")); err != nil {
		t.Fatal(err)
	}
	_, err := Build(context.Background(), item, Options{Root: root})
	var outside *OutsideRootError
	if !errors.As(err, &outside) {
		t.Fatalf("Build error = %v, want an OutsideRootError", err)
	}
}

func TestBuildDoesNotWriteGeneratedKustomization(t *testing.T) {
	root := t.TempDir()
	if err := os.CopyFS(root, os.DirFS("testdata/project")); err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(root, "generated")
	if _, err := Build(context.Background(), dir, Options{Root: root}); err != nil {
		t.Fatal(err)
	}
	if p, err := FindKustomization(dir); err != nil || p != "" {
		t.Errorf("FindKustomization() = %q, %v after Build, want no file", p, err)
	}
}

func TestBuildConcurrently(t *testing.T) {
	var wg sync.WaitGroup
	errs := make([]error, 8)
	for i := range errs {
		dir := "testdata/project/patches"
		if i%2 == 1 {
			dir = "testdata/project/generated"
		}
		wg.Go(func() {
			_, errs[i] = Build(context.Background(), dir, Options{Root: "testdata/project"})
		})
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			t.Error(err)
		}
	}
}

func TestBuildCanceled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := Build(ctx, "testdata/project/patches", Options{Root: "testdata/project"}); !errors.Is(err, context.Canceled) {
		t.Errorf("Build error = %v, want context.Canceled", err)
	}
}

func TestGenerateKustomization(t *testing.T) {
	tests := []struct {
		dir  string
		want []string
	}{
		{
			// helm-chart.yml stands for its output chart.yaml, which does
			// not exist yet; helm-values, non-yaml files and sub-folders
			// are left out; b.yaml.sealme stands for b.yaml.
			dir:  "generate-rules",
			want: []string{"C.YAML", "a.yml", "b.yaml", "chart.yaml"},
		},
		{
			// The rendered helm output exists and is listed once.
			dir:  "generated",
			want: []string{"a-configmap.yml", "b-service.yaml", "rendered.yaml"},
		},
		{
			dir:  "empty",
			want: []string{},
		},
	}
	for _, tt := range tests {
		t.Run(tt.dir, func(t *testing.T) {
			out, err := GenerateKustomization(filepath.Join("testdata", "project", tt.dir))
			if err != nil {
				t.Fatal(err)
			}
			var got struct {
				Resources []string `json:"resources"`
			}
			if err := yaml.UnmarshalStrict(out, &got); err != nil {
				t.Fatalf("parse generated kustomization: %v\n%s", err, out)
			}
			if diff := cmp.Diff(tt.want, got.Resources); diff != "" {
				t.Errorf("resources (-want +got):\n%s", diff)
			}
		})
	}
}

func BenchmarkBuild(b *testing.B) {
	for b.Loop() {
		if _, err := Build(context.Background(), "testdata/project/patches", Options{Root: "testdata/project"}); err != nil {
			b.Fatal(err)
		}
	}
}

// objectIDs returns "Kind/namespace/name" of every object, in order.
func objectIDs(objs []*unstructured.Unstructured) []string {
	ids := make([]string, 0, len(objs))
	for _, o := range objs {
		ids = append(ids, o.GetKind()+"/"+o.GetNamespace()+"/"+o.GetName())
	}
	return ids
}

func findObject(t *testing.T, objs []*unstructured.Unstructured, id string) *unstructured.Unstructured {
	t.Helper()
	for _, o := range objs {
		if o.GetKind()+"/"+o.GetNamespace()+"/"+o.GetName() == id {
			return o
		}
	}
	t.Fatalf("object %s not found", id)
	return nil
}
