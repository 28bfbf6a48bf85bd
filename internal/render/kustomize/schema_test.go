package kustomize

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

const widgetBase = `apiVersion: example.io/v1
kind: Widget
metadata:
  name: w
spec:
  parts:
    - id: one
      size: 1
    - id: two
      size: 2
`

const widgetPatch = `apiVersion: example.io/v1
kind: Widget
metadata:
  name: w
spec:
  parts:
    - id: one
      size: 10
`

// widgetSchema tells kustomize to merge Widget parts by id.
const widgetSchema = `{"definitions": {"io.example.v1.Widget": {"type": "object",
 "x-kubernetes-group-version-kind": [{"group": "example.io", "kind": "Widget", "version": "v1"}],
 "properties": {"spec": {"type": "object", "properties": {"parts": {"type": "array", "items": {"type": "object"},
  "x-kubernetes-patch-merge-key": "id", "x-kubernetes-patch-strategy": "merge"}}}}}}}`

// writeWidgetProject writes a kustomization that patches a Widget; with
// custom, its kustomization sets a custom OpenAPI schema that merges the
// parts list by id. Without, kustomize replaces the list.
func writeWidgetProject(t *testing.T, dir string, custom bool) {
	t.Helper()
	k := "resources: [widget.yaml]\npatches: [{path: patch.yaml}]\n"
	files := map[string]string{"widget.yaml": widgetBase, "patch.yaml": widgetPatch}
	if custom {
		k += "openapi:\n  path: schema.json\n"
		files["schema.json"] = widgetSchema
	}
	files["kustomization.yaml"] = k
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	for name, content := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func partCount(t *testing.T, objs []*unstructured.Unstructured) int {
	t.Helper()
	parts, _, err := unstructured.NestedSlice(objs[0].Object, "spec", "parts")
	if err != nil {
		t.Fatal(err)
	}
	return len(parts)
}

// Kustomize keeps its OpenAPI schema in process-wide state and does not
// reset a custom schema (kustomize#4824). One project's `openapi:` must
// never change how another project's patches are applied: not after it
// (serially), and not while it builds (concurrently).
func TestOpenAPISchemaDoesNotLeakBetweenProjects(t *testing.T) {
	root := t.TempDir()
	custom := filepath.Join(root, "custom")
	plain := filepath.Join(root, "plain")
	writeWidgetProject(t, custom, true)
	writeWidgetProject(t, plain, false)
	build := func(dir string) int {
		objs, err := Build(context.Background(), dir, Options{Root: root})
		if err != nil {
			t.Error(err)
			return -1
		}
		return partCount(t, objs)
	}
	// merged by id with the custom schema; replaced without it
	want := map[string]int{custom: 2, plain: 1}

	for _, dir := range []string{plain, custom, plain, custom, plain} {
		if got := build(dir); got != want[dir] {
			t.Fatalf("serial build of %s: %d parts, want %d", filepath.Base(dir), got, want[dir])
		}
	}

	var wg sync.WaitGroup
	errs := make(chan string, 64)
	for i := 0; i < 32; i++ {
		dir := plain
		if i%2 == 1 {
			dir = custom
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			if got := build(dir); got != want[dir] {
				errs <- fmt.Sprintf("concurrent build of %s: %d parts, want %d", filepath.Base(dir), got, want[dir])
			}
		}()
	}
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Error(e)
	}
}
