package helm

import (
	"context"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/yaml"
)

// TestRenderRedisExample renders the redis chart of the microservices-demo
// example (pre-pulled into the example's .helm-charts) and compares it with
// what the reference implementation rendered for target local.
func TestRenderRedisExample(t *testing.T) {
	shared := sharedDir(t)
	project := filepath.Join(shared, "examples", "microservices-demo", "3-templating-and-multi-env")
	sourceDir := filepath.Join(project, "third-party", "redis")

	// The caller renders the folder into a temp copy; the fixture holds the
	// rendered helm-chart.yml and helm-values.yml.
	rendered := t.TempDir()
	if err := os.CopyFS(rendered, os.DirFS("testdata/redis-example")); err != nil {
		t.Fatal(err)
	}
	chartFile := filepath.Join(rendered, "helm-chart.yml")
	cfg, err := LoadConfig(chartFile)
	if err != nil {
		t.Fatal(err)
	}
	values, err := FindValuesFile(rendered)
	if err != nil {
		t.Fatal(err)
	}
	out, err := Render(context.Background(), cfg, RenderOptions{
		ProjectRoot: project,
		SourceDir:   sourceDir,
		ChartFile:   chartFile,
		ValuesFile:  values,
		KubeVersion: "1.34.2",
	})
	if err != nil {
		t.Fatal(err)
	}
	got := parseObjects(t, out)
	want := expectedItemObjects(t, filepath.Join(shared, "examples", "expected-render", "ms3-local.yaml"),
		"microservices-demo/3-templating-and-multi-env/third-party/redis")

	if diff := cmp.Diff(sortedIDs(want), sortedIDs(got)); diff != "" {
		t.Fatalf("objects (-want +got):\n%s", diff)
	}
	for _, o := range got {
		if ns := o.GetAnnotations()[InstallNamespaceAnnotation]; ns != "ms-demo-local" {
			t.Errorf("%s/%s: annotation %s = %q, want ms-demo-local", o.GetKind(), o.GetName(), InstallNamespaceAnnotation, ns)
		}
	}
	wantByID := map[string]*unstructured.Unstructured{}
	for _, o := range want {
		wantByID[o.GetKind()+"/"+o.GetName()] = o
	}
	for _, o := range got {
		id := o.GetKind() + "/" + o.GetName()
		if diff := cmp.Diff(withoutKluctlMetadata(wantByID[id]), withoutKluctlMetadata(o)); diff != "" {
			t.Errorf("%s (-want +got):\n%s", id, diff)
		}
	}
}

// sharedDir finds the shared folder: $KLUCTL_SHARED_DIR, or ../shared next
// to the folder holding go.mod.
func sharedDir(t *testing.T) string {
	t.Helper()
	if d := os.Getenv("KLUCTL_SHARED_DIR"); d != "" {
		return d
	}
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			break
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("no go.mod above the package folder; set KLUCTL_SHARED_DIR")
		}
		dir = parent
	}
	shared := filepath.Join(filepath.Dir(dir), "shared")
	if _, err := os.Stat(filepath.Join(shared, "examples")); err != nil {
		t.Fatalf("shared examples not found (set KLUCTL_SHARED_DIR): %v", err)
	}
	return shared
}

// expectedItemObjects returns the objects of an expected render file that
// belong to the deployment item folder itemDir.
func expectedItemObjects(t *testing.T, file, itemDir string) []*unstructured.Unstructured {
	t.Helper()
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	var objs []*unstructured.Unstructured
	for _, doc := range strings.Split(string(data), "\n---") {
		var m map[string]any
		if err := yaml.Unmarshal([]byte(doc), &m); err != nil {
			t.Fatalf("parse %s: %v", file, err)
		}
		if m == nil {
			continue
		}
		o := &unstructured.Unstructured{Object: m}
		if o.GetAnnotations()["kluctl.io/deployment-item-dir"] == itemDir {
			objs = append(objs, o)
		}
	}
	if len(objs) == 0 {
		t.Fatalf("%s has no objects of %s", file, itemDir)
	}
	return objs
}

func sortedIDs(objs []*unstructured.Unstructured) []string {
	ids := objectIDs(objs)
	sort.Strings(ids)
	return ids
}

// withoutKluctlMetadata returns a copy of o without the labels and
// annotations that post-processing adds (kluctl.io/*, and the
// examples.kluctl.io/* common labels of the example project).
func withoutKluctlMetadata(o *unstructured.Unstructured) map[string]any {
	if o == nil {
		return nil
	}
	c := o.DeepCopy()
	strip := func(m map[string]string) map[string]string {
		for k := range m {
			if strings.HasPrefix(k, "kluctl.io/") || strings.HasPrefix(k, "examples.kluctl.io/") {
				delete(m, k)
			}
		}
		return m
	}
	if l := strip(c.GetLabels()); len(l) > 0 {
		c.SetLabels(l)
	} else {
		c.SetLabels(nil)
	}
	if a := strip(c.GetAnnotations()); len(a) > 0 {
		c.SetAnnotations(a)
	} else {
		c.SetAnnotations(nil)
	}
	return c.Object
}
