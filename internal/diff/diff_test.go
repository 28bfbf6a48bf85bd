package diff

import (
	"encoding/base64"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/kluctl-go/kluctl/internal/render"
)

func obj(m map[string]any) *unstructured.Unstructured { return &unstructured.Unstructured{Object: m} }

func configMap(data map[string]any, ann map[string]any) *unstructured.Unstructured {
	md := map[string]any{
		"name": "cm", "namespace": "ns", "resourceVersion": "12", "uid": "u1",
		"managedFields": []any{map[string]any{"manager": "kluctl"}},
	}
	if ann != nil {
		md["annotations"] = ann
	}
	return obj(map[string]any{"apiVersion": "v1", "kind": "ConfigMap", "metadata": md, "data": data})
}

func TestObjects(t *testing.T) {
	tests := []struct {
		name     string
		old, new map[string]any
		want     []Change
	}{
		{
			name: "unchanged",
			old:  map[string]any{"a": "1", "l": []any{int64(1)}},
			new:  map[string]any{"a": "1", "l": []any{int64(1)}},
		},
		{
			name: "scalar update",
			old:  map[string]any{"spec": map[string]any{"replicas": int64(1)}},
			new:  map[string]any{"spec": map[string]any{"replicas": int64(3)}},
			want: []Change{{Type: ChangeUpdate, JSONPath: "spec.replicas", UnifiedDiff: "-1\n+3", OldValue: int64(1), NewValue: int64(3)}},
		},
		{
			name: "insert and delete with special keys",
			old:  map[string]any{"labels": map[string]any{"app.kubernetes.io/name": "x"}},
			new:  map[string]any{"labels": map[string]any{"team": "y"}},
			want: []Change{
				{Type: ChangeInsert, JSONPath: "labels.team", UnifiedDiff: "+y", NewValue: "y"},
				{Type: ChangeDelete, JSONPath: `labels["app.kubernetes.io/name"]`, UnifiedDiff: "-x", OldValue: "x"},
			},
		},
		{
			name: "list grows",
			old:  map[string]any{"l": []any{"a"}},
			new:  map[string]any{"l": []any{"a", "b"}},
			want: []Change{{Type: ChangeInsert, JSONPath: "l[1]", UnifiedDiff: "+b", NewValue: "b"}},
		},
		{
			name: "type change",
			old:  map[string]any{"v": "1"},
			new:  map[string]any{"v": int64(1)},
			want: []Change{{Type: ChangeUpdate, JSONPath: "v", UnifiedDiff: "-1 (type: string)\n+1 (type: number)", OldValue: "1", NewValue: int64(1)}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if d := cmp.Diff(tt.want, Objects(tt.old, tt.new)); d != "" {
				t.Errorf("Objects() mismatch (-want +got):\n%s", d)
			}
		})
	}
}

func TestMultilineUnifiedDiff(t *testing.T) {
	got := Objects(map[string]any{"s": "a\nb\nc\n"}, map[string]any{"s": "a\nB\nc\n"})
	if len(got) != 1 {
		t.Fatalf("want one change, got %v", got)
	}
	for _, want := range []string{"@@", "-b", "+B", " a"} {
		if !strings.Contains(got[0].UnifiedDiff, want) {
			t.Errorf("unified diff %q lacks %q", got[0].UnifiedDiff, want)
		}
	}
}

func TestObjectIgnoresServerFieldsAndRules(t *testing.T) {
	kind := "ConfigMap"
	tests := []struct {
		name  string
		ann   map[string]any
		rules []render.IgnoreForDiffRule
		want  []string
	}{
		{name: "all fields", want: []string{"data.a", "data.b"}},
		{name: "ignore-diff", ann: map[string]any{"kluctl.io/ignore-diff": "true"}},
		{name: "ignore-diff-field", ann: map[string]any{"kluctl.io/ignore-diff-field": "data.a"}, want: []string{"data.b"}},
		{name: "numbered annotation", ann: map[string]any{"kluctl.io/ignore-diff-field-2": "$.data['b']"}, want: []string{"data.a"}},
		{name: "regex", ann: map[string]any{"kluctl.io/ignore-diff-field-regex": `data\..*`}},
		{name: "project rule", rules: []render.IgnoreForDiffRule{{FieldPath: []string{"data.a"}, Kind: &kind}}, want: []string{"data.b"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			live := configMap(map[string]any{"a": "1", "b": "1"}, tt.ann)
			applied := configMap(map[string]any{"a": "2", "b": "2"}, tt.ann)
			applied.SetResourceVersion("13")
			changes, err := Object(live, applied, applied, Options{IgnoreForDiff: tt.rules})
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, c := range changes {
				got = append(got, c.JSONPath)
			}
			if d := cmp.Diff(tt.want, got); d != "" {
				t.Errorf("changed paths (-want +got):\n%s", d)
			}
		})
	}
}

func TestSecretValuesNeverShown(t *testing.T) {
	secret := func(v string, extra map[string]any) *unstructured.Unstructured {
		data := map[string]any{"password": base64.StdEncoding.EncodeToString([]byte(v)), "same": "c2FtZQ=="}
		for k, x := range extra {
			data[k] = x
		}
		return obj(map[string]any{"apiVersion": "v1", "kind": "Secret", "metadata": map[string]any{"name": "s"}, "data": data})
	}
	live := secret("old-secret-value", nil)
	applied := secret("new-secret-value", map[string]any{"added": "YWRkZWQtdmFsdWU="})
	changes, err := Object(live, applied, applied, Options{Masker: NewMasker([]string{"new-secret-value"})})
	if err != nil {
		t.Fatal(err)
	}
	want := []Change{
		{Type: ChangeInsert, JSONPath: "data.added", UnifiedDiff: "+" + maskNew, NewValue: maskNew},
		{Type: ChangeUpdate, JSONPath: "data.password", UnifiedDiff: "-" + maskOld + "\n+" + maskNew, OldValue: maskOld, NewValue: maskNew},
	}
	if d := cmp.Diff(want, changes); d != "" {
		t.Errorf("changes (-want +got):\n%s", d)
	}
}

func TestMasker(t *testing.T) {
	m := NewMasker([]string{"hunter22", "ab", ""})
	got := m.String("pw=hunter22 b64=" + base64.StdEncoding.EncodeToString([]byte("hunter22")) + " ab")
	if want := "pw=***** b64=***** ab"; got != want {
		t.Errorf("String() = %q, want %q", got, want)
	}
	var nilMasker *Masker
	if nilMasker.String("x") != "x" {
		t.Error("nil masker must not change text")
	}
}

func TestMatchPath(t *testing.T) {
	tests := []struct {
		pattern string
		path    []any
		want    bool
	}{
		{"spec.replicas", []any{"spec", "replicas"}, true},
		{"$.spec.containers[0].image", []any{"spec", "containers", 0, "image"}, true},
		{"spec.containers[*].image", []any{"spec", "containers", 3, "image"}, true},
		{`metadata.labels["a.b/c"]`, []any{"metadata", "labels", "a.b/c"}, true},
		{"spec.replicas", []any{"spec"}, false},
		{"spec.containers[1].image", []any{"spec", "containers", 0, "image"}, false},
	}
	for _, tt := range tests {
		got, err := MatchPath(tt.pattern, tt.path)
		if err != nil || got != tt.want {
			t.Errorf("MatchPath(%q, %v) = %v, %v; want %v", tt.pattern, tt.path, got, err, tt.want)
		}
	}
	if FormatPath([]any{"metadata", "labels", "a.b/c"}) != `metadata.labels["a.b/c"]` {
		t.Error("FormatPath of special key")
	}
}

func TestSensitiveValueHidesPreviousValue(t *testing.T) {
	cm := func(dsn string) *unstructured.Unstructured {
		return obj(map[string]any{"apiVersion": "v1", "kind": "ConfigMap", "metadata": map[string]any{"name": "c"},
			"data": map[string]any{"dsn": dsn, "list": []any{dsn}}})
	}
	changes, err := Object(cm("pg://u:old-pass@db"), cm("pg://u:new-pass@db"), nil, Options{Masker: NewMasker([]string{"new-pass"})})
	if err != nil {
		t.Fatal(err)
	}
	want := []Change{
		{Type: ChangeUpdate, JSONPath: "data.dsn", UnifiedDiff: "-" + maskOld + "\n+pg://u:*****@db", OldValue: maskOld, NewValue: "pg://u:*****@db"},
		{Type: ChangeUpdate, JSONPath: "data.list[0]", UnifiedDiff: "-" + maskOld + "\n+pg://u:*****@db", OldValue: maskOld, NewValue: "pg://u:*****@db"},
	}
	if d := cmp.Diff(want, changes); d != "" {
		t.Errorf("changes (-want +got):\n%s", d)
	}
}

func TestMaskerMasksShortValuesOnlyAsWholeWords(t *testing.T) {
	m := NewMasker([]string{"abc", "hunter2secret", "p4ss"})
	tests := []struct{ in, want string }{
		{"abc", "*****"},
		{"abcdef xabc abc_1", "abcdef xabc abc_1"},                   // part of longer words: left alone
		{"user=abc; x-abc-y (abc)", "user=*****; x-*****-y (*****)"}, // whole words
		{"postgres://u:p4ss@db", "postgres://u:*****@db"},
		{"xxhunter2secretyy", "xx*****yy"}, // long values: everywhere
		{"b64 " + base64.StdEncoding.EncodeToString([]byte("hunter2secret")), "b64 *****"},
	}
	for _, tt := range tests {
		if got := m.String(tt.in); got != tt.want {
			t.Errorf("String(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestRemovedFieldsDoNotShowSensitiveValues(t *testing.T) {
	const secret = "s3cr3t-value"
	old := obj(map[string]any{"apiVersion": "v1", "kind": "ConfigMap", "metadata": map[string]any{"name": "c"},
		"data": map[string]any{"a": "token=" + secret, "gone": secret, "nested": map[string]any{"k": secret}},
		"list": []any{"keep", "x " + secret}})
	cur := obj(map[string]any{"apiVersion": "v1", "kind": "ConfigMap", "metadata": map[string]any{"name": "c"},
		"data": map[string]any{"a": "changed", "nested": "now a string"},
		"list": []any{"keep"}})
	changes, err := Object(old, cur, nil, Options{Masker: NewMasker([]string{secret})})
	if err != nil {
		t.Fatal(err)
	}
	if len(changes) < 4 {
		t.Fatalf("want changes for a, gone, nested and list[1], got %+v", changes)
	}
	for _, c := range changes {
		if strings.Contains(c.UnifiedDiff, secret) || strings.Contains(c.JSONPath, secret) {
			t.Errorf("change %s shows the secret: %q", c.JSONPath, c.UnifiedDiff)
		}
	}
}
