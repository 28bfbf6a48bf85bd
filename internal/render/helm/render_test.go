package helm

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

func TestRenderLocalChart(t *testing.T) {
	root, err := filepath.Abs("testdata")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name       string
		chartFile  string
		opts       RenderOptions
		wantObjs   []string
		wantFields map[string]string
	}{
		{
			name:      "crds manifests and hooks with install namespace",
			chartFile: "local-chart/helm-chart.yaml",
			opts:      RenderOptions{KubeVersion: "1.34.2", APIVersions: []string{"example.com/v1/Widget"}},
			wantObjs: []string{
				"CustomResourceDefinition/widgets.example.com",
				"ConfigMap/rel-config",
				"Service/rel-demo",
				"Job/rel-migrate",
			},
			wantFields: map[string]string{
				"ConfigMap/rel-config data.greeting":                                                                   "hi from values",
				"ConfigMap/rel-config data.kubeVersion":                                                                "v1.34.2",
				"ConfigMap/rel-config data.hasWidgets":                                                                 "true",
				"ConfigMap/rel-config metadata.namespace":                                                              "",
				"ConfigMap/rel-config metadata.labels.app\\.kubernetes\\.io/managed-by":                                "Helm",
				"ConfigMap/rel-config metadata.annotations.kluctl\\.io/helm-install-namespace":                         "demo-ns",
				"CustomResourceDefinition/widgets.example.com metadata.annotations.kluctl\\.io/helm-install-namespace": "demo-ns",
				"Service/rel-demo metadata.namespace":                                                                  "demo-ns",
				"Service/rel-demo spec.ports.0.port":                                                                   "8080",
				"Job/rel-migrate metadata.annotations.helm\\.sh/hook":                                                  "pre-install,pre-upgrade",
			},
		},
		{
			name:      "skip crds default namespace without annotation",
			chartFile: "local-chart-skip-crds/helm-chart.yml",
			opts:      RenderOptions{KubeVersion: "v1.30.1"},
			wantObjs:  []string{"ConfigMap/plain-config", "Service/plain-demo", "Job/plain-migrate"},
			wantFields: map[string]string{
				"ConfigMap/plain-config data.greeting":                                           "hello",
				"ConfigMap/plain-config data.kubeVersion":                                        "v1.30.1",
				"ConfigMap/plain-config data.hasWidgets":                                         "false",
				"ConfigMap/plain-config metadata.annotations.kluctl\\.io/helm-install-namespace": "",
				"Service/plain-demo metadata.namespace":                                          "default",
			},
		},
		{
			name:      "default namespace option",
			chartFile: "local-chart-skip-crds/helm-chart.yml",
			opts:      RenderOptions{DefaultNamespace: "fallback"},
			wantObjs:  []string{"ConfigMap/plain-config", "Service/plain-demo", "Job/plain-migrate"},
			wantFields: map[string]string{
				"Service/plain-demo metadata.namespace": "fallback",
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			chartFile := filepath.Join(root, filepath.FromSlash(tt.chartFile))
			cfg, err := LoadConfig(chartFile)
			if err != nil {
				t.Fatal(err)
			}
			opts := tt.opts
			opts.ProjectRoot = root
			opts.ChartFile = chartFile
			if opts.ValuesFile, err = FindValuesFile(filepath.Dir(chartFile)); err != nil {
				t.Fatal(err)
			}
			out, err := Render(context.Background(), cfg, opts)
			if err != nil {
				t.Fatal(err)
			}
			objs := parseObjects(t, out)
			if diff := cmp.Diff(tt.wantObjs, objectIDs(objs)); diff != "" {
				t.Errorf("objects (-want +got):\n%s", diff)
			}
			for key, want := range tt.wantFields {
				id, field, _ := strings.Cut(key, " ")
				if got := fieldOf(t, objs, id, field); got != want {
					t.Errorf("%s = %q, want %q", key, got, want)
				}
			}
		})
	}
}

func TestRenderErrors(t *testing.T) {
	tests := []struct {
		name      string
		root      string
		chartFile string
		opts      RenderOptions
		wantErr   []string
	}{
		{
			name:      "local chart escaping the project",
			root:      "testdata/escaping-project",
			chartFile: "testdata/escaping-project/item/helm-chart.yaml",
			wantErr:   []string{"helm-chart.yaml:2:", "is outside the repository"},
		},
		{
			name:      "kubernetes version below the chart's kubeVersion",
			root:      "testdata",
			chartFile: "testdata/local-chart/helm-chart.yaml",
			opts:      RenderOptions{KubeVersion: "1.19.0"},
			wantErr:   []string{"render helm chart demo for release rel", "kubeVersion"},
		},
		{
			name:      "invalid kubernetes version",
			root:      "testdata",
			chartFile: "testdata/local-chart/helm-chart.yaml",
			opts:      RenderOptions{KubeVersion: "latest"},
			wantErr:   []string{`invalid kubernetes version "latest"`},
		},
		{
			name:      "missing project root",
			chartFile: "testdata/local-chart/helm-chart.yaml",
			wantErr:   []string{"project root is not set"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg, err := LoadConfig(tt.chartFile)
			if err != nil {
				t.Fatal(err)
			}
			opts := tt.opts
			opts.ProjectRoot = tt.root
			opts.ChartFile = tt.chartFile
			_, err = Render(context.Background(), cfg, opts)
			if err == nil {
				t.Fatal("Render succeeded, want an error")
			}
			for _, want := range tt.wantErr {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("error %q does not contain %q", err, want)
				}
			}
		})
	}
}

func TestRenderPulledCharts(t *testing.T) {
	tests := []struct {
		name   string
		config string
		// pulledAt is where the test puts the demo chart, below the
		// project root; empty leaves it out.
		pulledAt       string
		pulledVersion  string
		wantNotPulled  bool
		wantPulledVers string
	}{
		{
			name:     "http repo",
			config:   "repo: https://Charts.Example.com/stable\n  chartName: demo\n  chartVersion: 1.0.0",
			pulledAt: ".helm-charts/https_charts.example.com/stable/demo/1.0.0",
		},
		{
			name:     "http repo with port pulled next to the item",
			config:   "repo: http://charts.example.com:8080/\n  chartName: demo\n  chartVersion: 1.0.0",
			pulledAt: "item/.helm-charts/http_8080_charts.example.com/demo/1.0.0",
		},
		{
			name:     "oci repo",
			config:   "repo: oci://ghcr.io/example/charts/demo\n  chartVersion: 1.0.0",
			pulledAt: ".helm-charts/oci_ghcr.io/example/charts/demo/1.0.0",
		},
		{
			name:     "git branch",
			config:   "git:\n    url: https://github.com/example/charts.git\n    ref:\n      branch: main\n    subDir: charts/demo",
			pulledAt: ".helm-charts/git_https_github.com/example/charts/charts/demo/refs/heads/main",
		},
		{
			name:          "missing chart",
			config:        "repo: https://charts.example.com/stable\n  chartName: demo\n  chartVersion: 1.0.0",
			wantNotPulled: true,
		},
		{
			name:           "pulled with another version",
			config:         "repo: https://charts.example.com/stable\n  chartName: demo\n  chartVersion: 2.0.0",
			pulledAt:       ".helm-charts/https_charts.example.com/stable/demo/2.0.0",
			wantNotPulled:  true,
			wantPulledVers: "1.0.0",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			root := t.TempDir()
			item := filepath.Join(root, "item")
			if err := os.MkdirAll(item, 0o755); err != nil {
				t.Fatal(err)
			}
			chartFile := filepath.Join(item, "helm-chart.yaml")
			content := "helmChart:\n  " + tt.config + "\n  releaseName: pulled\n  namespace: ns\n"
			if err := os.WriteFile(chartFile, []byte(content), 0o644); err != nil {
				t.Fatal(err)
			}
			if tt.pulledAt != "" {
				if err := os.CopyFS(filepath.Join(root, filepath.FromSlash(tt.pulledAt)), os.DirFS("testdata/charts/demo")); err != nil {
					t.Fatal(err)
				}
			}
			cfg, err := LoadConfig(chartFile)
			if err != nil {
				t.Fatal(err)
			}
			out, err := Render(context.Background(), cfg, RenderOptions{ProjectRoot: root, ChartFile: chartFile})
			if tt.wantNotPulled {
				var notPulled *ChartNotPulledError
				if !errors.As(err, &notPulled) {
					t.Fatalf("Render error = %v, want a ChartNotPulledError", err)
				}
				if notPulled.PulledVersion != tt.wantPulledVers {
					t.Errorf("PulledVersion = %q, want %q", notPulled.PulledVersion, tt.wantPulledVers)
				}
				for _, want := range []string{chartFile, "kluctl helm-pull"} {
					if !strings.Contains(err.Error(), want) {
						t.Errorf("error %q does not name %q", err, want)
					}
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			want := []string{"CustomResourceDefinition/widgets.example.com", "ConfigMap/pulled-config", "Service/pulled-demo", "Job/pulled-migrate"}
			if diff := cmp.Diff(want, objectIDs(parseObjects(t, out))); diff != "" {
				t.Errorf("objects (-want +got):\n%s", diff)
			}
		})
	}
}

func TestWriteOutput(t *testing.T) {
	root := t.TempDir()
	if err := os.CopyFS(root, os.DirFS("testdata")); err != nil {
		t.Fatal(err)
	}
	chartFile := filepath.Join(root, "local-chart-skip-crds", "helm-chart.yml")
	cfg, err := LoadConfig(chartFile)
	if err != nil {
		t.Fatal(err)
	}
	p, err := WriteOutput(context.Background(), cfg, RenderOptions{ProjectRoot: root, ChartFile: chartFile})
	if err != nil {
		t.Fatal(err)
	}
	if want := filepath.Join(root, "local-chart-skip-crds", "deploy.yml"); p != want {
		t.Errorf("WriteOutput() = %q, want %q", p, want)
	}
	data, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	if got := len(parseObjects(t, data)); got != 3 {
		t.Errorf("%s holds %d objects, want 3", p, got)
	}
}

func TestRenderConcurrently(t *testing.T) {
	root, err := filepath.Abs("testdata")
	if err != nil {
		t.Fatal(err)
	}
	chartFile := filepath.Join(root, "local-chart", "helm-chart.yaml")
	cfg, err := LoadConfig(chartFile)
	if err != nil {
		t.Fatal(err)
	}
	opts := RenderOptions{ProjectRoot: root, ChartFile: chartFile, KubeVersion: "1.34.2"}
	want, err := Render(context.Background(), cfg, opts)
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	outs := make([][]byte, 4)
	errs := make([]error, len(outs))
	for i := range outs {
		wg.Go(func() { outs[i], errs[i] = Render(context.Background(), cfg, opts) })
	}
	wg.Wait()
	for i := range outs {
		if errs[i] != nil {
			t.Fatal(errs[i])
		}
		if diff := cmp.Diff(string(want), string(outs[i])); diff != "" {
			t.Errorf("render %d differs (-want +got):\n%s", i, diff)
		}
	}
}

func BenchmarkRenderLocalChart(b *testing.B) {
	root, err := filepath.Abs("testdata")
	if err != nil {
		b.Fatal(err)
	}
	chartFile := filepath.Join(root, "local-chart", "helm-chart.yaml")
	cfg, err := LoadConfig(chartFile)
	if err != nil {
		b.Fatal(err)
	}
	opts := RenderOptions{ProjectRoot: root, ChartFile: chartFile, KubeVersion: "1.34.2"}
	for b.Loop() {
		if _, err := Render(context.Background(), cfg, opts); err != nil {
			b.Fatal(err)
		}
	}
}

// parseObjects parses a YAML stream written by Render.
func parseObjects(t testing.TB, data []byte) []*unstructured.Unstructured {
	t.Helper()
	var objs []*unstructured.Unstructured
	for _, doc := range strings.Split(string(data), "\n---\n") {
		var m map[string]any
		if err := yaml.Unmarshal([]byte(doc), &m); err != nil {
			t.Fatalf("parse rendered object: %v\n%s", err, doc)
		}
		if m != nil {
			objs = append(objs, &unstructured.Unstructured{Object: m})
		}
	}
	return objs
}

// objectIDs returns "Kind/name" of every object, in order.
func objectIDs(objs []*unstructured.Unstructured) []string {
	ids := make([]string, 0, len(objs))
	for _, o := range objs {
		ids = append(ids, o.GetKind()+"/"+o.GetName())
	}
	return ids
}

// fieldOf returns a field of the object with the given "Kind/name" as a
// string; field is dot separated, with `\.` for a dot inside a key and
// numbers indexing lists. Missing fields are "".
func fieldOf(t testing.TB, objs []*unstructured.Unstructured, id, field string) string {
	t.Helper()
	for _, o := range objs {
		if o.GetKind()+"/"+o.GetName() != id {
			continue
		}
		var cur any = o.Object
		for _, key := range splitField(field) {
			switch v := cur.(type) {
			case map[string]any:
				cur = v[key]
			case []any:
				i := 0
				for _, c := range key {
					i = i*10 + int(c-'0')
				}
				if i >= len(v) {
					return ""
				}
				cur = v[i]
			default:
				return ""
			}
		}
		switch v := cur.(type) {
		case nil:
			return ""
		case string:
			return v
		}
		s, err := yaml.Marshal(cur)
		if err != nil {
			t.Fatal(err)
		}
		return strings.TrimSpace(string(s))
	}
	t.Fatalf("object %s not found", id)
	return ""
}

func splitField(field string) []string {
	var keys []string
	var cur strings.Builder
	for i := 0; i < len(field); i++ {
		switch {
		case field[i] == '\\' && i+1 < len(field):
			i++
			cur.WriteByte(field[i])
		case field[i] == '.':
			keys = append(keys, cur.String())
			cur.Reset()
		default:
			cur.WriteByte(field[i])
		}
	}
	return append(keys, cur.String())
}
