package project

import (
	"context"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestJSONPathGet(t *testing.T) {
	obj := map[string]any{
		"metadata": map[string]any{"name": "x", "labels": map[string]any{"app.kubernetes.io/name": "web", "tier": "a"}},
		"status":   map[string]any{"conditions": []any{map[string]any{"type": "Ready"}, map[string]any{"type": "Synced"}}},
		"list":     []any{1.5, "two"},
	}
	for _, tc := range []struct {
		name, path string
		want       []any
	}{
		{"root", "$", []any{obj}},
		{"dotted", "metadata.name", []any{"x"}},
		{"dotted with $", "$.metadata.name", []any{"x"}},
		{"quoted key", "metadata.labels['app.kubernetes.io/name']", []any{"web"}},
		{"double quoted key", `metadata.labels["tier"]`, []any{"a"}},
		{"index", "status.conditions[1].type", []any{"Synced"}},
		{"negative index", "list[-1]", []any{"two"}},
		{"wildcard index", "status.conditions[*].type", []any{"Ready", "Synced"}},
		{"wildcard key, sorted", "metadata.labels.*", []any{"web", "a"}},
		{"missing key", "metadata.nope", nil},
		{"index out of range", "list[5]", nil},
		{"index into a mapping", "metadata[0]", nil},
		{"top-level list", "$[0]", nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p, err := parseJSONPath(tc.path)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, p.get(obj)); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
	p, err := parseJSONPath("$[0].data")
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]any{"d"}, p.get([]any{map[string]any{"data": "d"}})); diff != "" {
		t.Errorf("$[0].data (-want +got):\n%s", diff)
	}
}

func TestJSONPathInvalid(t *testing.T) {
	for _, p := range []string{"", "a..b", "a[", "a['x]", "a[x]", "a."} {
		if _, err := parseJSONPath(p); err == nil {
			t.Errorf("%q: no error", p)
		}
	}
}

func TestRenderValueRendersStringsOfMappings(t *testing.T) {
	l := &varsLoader{tpl: NewTemplates(t.TempDir())}
	vars := NewVars()
	vars.Set("x", "X")
	for _, tc := range []struct {
		name    string
		in, out any
	}{
		{"string", "a-{{ x }}", "a-X"},
		{"mapping", map[string]any{"a": "{{ x }}", "b": []any{"{{ x }}1", 2}}, map[string]any{"a": "X", "b": []any{"X1", 2}}},
		{"list is left alone", []any{"{{ x }}"}, []any{"{{ x }}"}},
		{"number", 3, 3},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := l.renderValue(context.Background(), tc.in, "test", nil, vars)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.out, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

func TestClusterObjectSourceFields(t *testing.T) {
	var cfg DeploymentConfig
	src := "vars:\n  - clusterObject: {kind: Secret, apiVersion: v1, namespace: ns, labels: {a: b}, list: true, path: data, render: true, parseYaml: true}\n    targetPath: s\n"
	if err := decodeStrict("deployment.yml", []byte(src), &cfg); err != nil {
		t.Fatal(err)
	}
	want := &ObjectVarsSource{Kind: "Secret", APIVersion: "v1", Namespace: "ns", Labels: map[string]string{"a": "b"}, List: true, Path: "data", Render: true, ParseYaml: true}
	if diff := cmp.Diff(want, cfg.Vars[0].ClusterObject); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	if err := decodeStrict("deployment.yml", []byte("vars:\n  - clusterObject: {kind: X, key: y}\n"), &cfg); err == nil {
		t.Errorf("an unknown field of clusterObject is accepted")
	}
}
