package jinja2

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func writeFiles(t *testing.T, dir string, files map[string]string) {
	t.Helper()
	for name, content := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func mustEnv(t *testing.T, opts Options) *Environment {
	t.Helper()
	env, err := NewEnvironment(opts)
	if err != nil {
		t.Fatal(err)
	}
	return env
}

func wantKind(t *testing.T, err error, kind string) *TemplateError {
	t.Helper()
	var te *TemplateError
	if !errors.As(err, &te) {
		t.Fatalf("want a *TemplateError of kind %s, got %v", kind, err)
	}
	if te.Kind != kind {
		t.Fatalf("want kind %s, got %s: %v", kind, te.Kind, err)
	}
	return te
}

func TestRunawayTemplatesAreStopped(t *testing.T) {
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{"self.j2": "{% include 'self.j2' %}"})
	env := mustEnv(t, Options{Strict: true, SearchPath: []string{dir}, MaxSteps: 100000})
	tests := []struct {
		name, template, kind string
	}{
		{name: "macro-recursion", template: "{% macro f(n) %}{{ f(n + 1) }}{% endmacro %}{{ f(0) }}", kind: KindRecursion},
		{name: "include-recursion", template: "{% include 'self.j2' %}", kind: KindRecursion},
		{name: "render-recursion", template: "{% set t = '{{ render(t) }}' %}{{ render(t) }}", kind: KindRecursion},
		{name: "growing-loop", template: "{% set l = [1] %}{% for x in l %}{% set _ = l.append(x) %}{% endfor %}", kind: KindRuntime},
		{name: "nested-ranges", template: "{% for a in range(1000) %}{% for b in range(1000) %}{% endfor %}{% endfor %}", kind: KindRuntime},
		{name: "huge-repeat", template: "{{ 'x' * 10 ** 12 }}", kind: "MemoryError"},
		{name: "huge-pow", template: "{{ 10 ** 100000000 }}", kind: "OverflowError"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := env.RenderString(context.Background(), tc.name, tc.template, nil)
			wantKind(t, err, tc.kind)
		})
	}
}

func TestRenderHonoursContextCancellation(t *testing.T) {
	env := mustEnv(t, Options{Strict: true})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := env.RenderString(ctx, "loop", "{% for i in range(100000) %}{{ i }}{% endfor %}", nil)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("want context.Canceled, got %v", err)
	}
}

func TestLoaderStaysInsideSearchPath(t *testing.T) {
	base := t.TempDir()
	root := filepath.Join(base, "root")
	writeFiles(t, base, map[string]string{
		"secret.txt":        "secret",
		"root/ok.j2":        "ok",
		"root/sub/inner.j2": "inner {% include '../ok.j2' %}",
		"root/sub/main.j2":  "{% include './inner.j2' %}",
	})
	if err := os.Symlink(filepath.Join(base, "secret.txt"), filepath.Join(root, "link.j2")); err != nil {
		t.Fatal(err)
	}
	env := mustEnv(t, Options{Strict: true, SearchPath: []string{root}})
	for _, name := range []string{"../secret.txt", "sub/../../secret.txt", "link.j2", "/etc/passwd", "nope.j2"} {
		t.Run(name, func(t *testing.T) {
			_, err := env.GetTemplate(name)
			wantKind(t, err, KindNotFound)
		})
	}
	for _, tmpl := range []string{"{% include '../secret.txt' %}", "{% include './../../secret.txt' %}", "{{ load_template('../secret.txt') }}"} {
		t.Run(tmpl, func(t *testing.T) {
			_, err := env.RenderString(context.Background(), "x.j2", tmpl, nil)
			wantKind(t, err, KindNotFound)
		})
	}
	tmpl, err := env.GetTemplate("sub/main.j2")
	if err != nil {
		t.Fatal(err)
	}
	got, err := tmpl.Render(context.Background(), nil)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff("inner ok", got); diff != "" {
		t.Fatalf("relative includes (-want +got):\n%s", diff)
	}
	fromString, err := env.FromString(filepath.Join(root, "sub", "virtual.j2"), "{% include './inner.j2' %}")
	if err != nil {
		t.Fatal(err)
	}
	if got, err := fromString.Render(context.Background(), nil); err != nil || got != "inner ok" {
		t.Fatalf("FromString relative include: %q, %v", got, err)
	}
}

func TestRenderString(t *testing.T) {
	env := mustEnv(t, Options{Strict: true})
	tests := []struct {
		name, source, want string
	}{
		{name: "no-brace-unchanged", source: "a: 1\n\n", want: "a: 1\n\n"},
		{name: "crlf-without-brace-unchanged", source: "a\r\nb\r\n", want: "a\r\nb\r\n"},
		{name: "trailing-newline-dropped", source: "{{ 1 }}\n", want: "1"},
		{name: "one-newline-dropped", source: "{{ 1 }}\n\n", want: "1\n"},
		{name: "crlf-normalized", source: "{{ 1 }}\r\nx\r\n", want: "1\nx"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := env.RenderString(context.Background(), tc.name, tc.source, nil)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Fatalf("(-want +got):\n%s", diff)
			}
		})
	}
}

func TestErrorsLookLikeKluctlTracebacks(t *testing.T) {
	env := mustEnv(t, Options{Strict: true})
	_, err := env.RenderString(context.Background(), "deploy.yml", "a: 1\nb: {{ nope }}\n", nil)
	te := wantKind(t, err, KindUndefined)
	want := "  File \"deploy.yml\", line 2, in top-level template code\n    b: {{ nope }}\nUndefinedError: 'nope' is undefined"
	if diff := cmp.Diff(want, te.Error()); diff != "" {
		t.Fatalf("(-want +got):\n%s", diff)
	}
	_, err = env.RenderString(context.Background(), "deploy.yml", "a\n{% if %}", nil)
	te = wantKind(t, err, KindSyntax)
	if te.Line != 2 || !te.Syntax || te.Message != "Expected an expression, got 'end of statement block'" {
		t.Fatalf("unexpected syntax error: %#v", te)
	}
}

func TestLenientUndefined(t *testing.T) {
	env := mustEnv(t, Options{Strict: false})
	got, err := env.RenderString(context.Background(), "x", "[{{ a.b.c }}][{{ a | default('d') }}][{{ a ~ 'x' }}][{% for i in a %}{{ i }}{% endfor %}][{{ a is defined }}]", nil)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff("[][d][x][][False]", got); diff != "" {
		t.Fatalf("(-want +got):\n%s", diff)
	}
}

func TestConcurrentRenders(t *testing.T) {
	env := mustEnv(t, Options{Strict: true})
	tmpl, err := env.FromString("c", "{% set l = [] %}{% for i in items %}{% set _ = l.append(i * n) %}{% endfor %}{{ l | sum }}")
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	errs := make(chan error, 16)
	for g := 0; g < 16; g++ {
		wg.Add(1)
		go func(n int) {
			defer wg.Done()
			for k := 0; k < 50; k++ {
				out, err := tmpl.Render(context.Background(), map[string]any{"items": []any{1, 2, 3}, "n": n})
				if err != nil {
					errs <- err
					return
				}
				if want := strings.TrimSpace(strings.Repeat(" ", 0) + itoa(6*n)); out != want {
					errs <- errors.New("got " + out + " want " + want)
					return
				}
			}
		}(g)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
}

func itoa(n int) string { return pyStr(int64(n)) }

func TestGoValues(t *testing.T) {
	env := mustEnv(t, Options{Strict: true, Globals: map[string]any{"g": "global", "v": "shadowed"}})
	vars := map[string]any{
		"m": map[string]any{"z": 1, "a": map[any]any{"y": 2, "b": 3}},
		"v": "var", "n": int32(4), "u": uint64(1 << 63), "f": float32(0.5), "s": []string{"x"},
	}
	got, err := env.RenderString(context.Background(), "x", "{{ m }} {{ v }} {{ g }} {{ n + 1 }} {{ u }} {{ f }} {{ s }}", vars)
	if err != nil {
		t.Fatal(err)
	}
	want := "{'a': {'b': 3, 'y': 2}, 'z': 1} var global 5 9223372036854775808 0.5 ['x']"
	if diff := cmp.Diff(want, got); diff != "" {
		t.Fatalf("(-want +got):\n%s", diff)
	}
	round := ToGo(FromGo(map[string]any{"a": []any{int64(1), "x", nil, map[string]any{"b": true}}}))
	if diff := cmp.Diff(map[string]any{"a": []any{int64(1), "x", nil, map[string]any{"b": true}}}, round); diff != "" {
		t.Fatalf("ToGo(FromGo()) (-want +got):\n%s", diff)
	}
}

func TestKluctlGlobals(t *testing.T) {
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{
		"cm.yaml":  "name: {{ name }}",
		"bin.dat":  "raw {{ not rendered }}",
		"self.j2":  "x-{{ load_sha256('self.j2', 6) }}",
		"main.j2":  "{{ load_sha256('cm.yaml') }} {{ load_base64('bin.dat') }}",
		"extra.j2": "{{ load_template('cm.yaml', name='kw') }}",
	})
	var debug bytes.Buffer
	env := mustEnv(t, Options{Strict: true, SearchPath: []string{dir}, DebugOutput: &debug})
	render := func(src string) string {
		t.Helper()
		out, err := env.RenderString(context.Background(), "t", src, map[string]any{"name": "n"})
		if err != nil {
			t.Fatal(err)
		}
		return out
	}
	if got := render("{{ load_template('cm.yaml') }}|{{ load_template('cm.yaml', name='kw') }}"); got != "name: n|name: kw" {
		t.Fatalf("load_template: %q", got)
	}
	if got := render("{{ load_sha256('cm.yaml', 8) }} {{ load_base64('bin.dat') }}"); got != "name: n"[:0]+sha256HexOf("name: n")[:8]+" cmF3IHt7IG5vdCByZW5kZXJlZCB9fQ==" {
		t.Fatalf("load_sha256/load_base64: %q", got)
	}
	if got := render("{% include 'self.j2' %}"); !strings.HasPrefix(got, "x-") || len(got) != 8 {
		t.Fatalf("self-referencing load_sha256: %q", got)
	}
	if got := render("{{ debug_print('hello', 1) }}"); got != "" || debug.String() != "hello 1\n" {
		t.Fatalf("debug_print: %q %q", got, debug.String())
	}
	_, err := env.RenderString(context.Background(), "t", "{{ raise('boom') }}", nil)
	if te := wantKind(t, err, KindRaise); te.Message != "boom" {
		t.Fatalf("raise: %v", err)
	}
	if got := render("{{ time.now().year > 2000 }} {{ time.utcnow().strftime('%Y') | length }}"); got != "True 4" {
		t.Fatalf("time: %q", got)
	}
}

func sha256HexOf(s string) string {
	h, _ := sha256Hex(s, &args{}, 0)
	return h
}

func TestDeepNestingIsAnError(t *testing.T) {
	env := mustEnv(t, Options{Strict: true})
	tests := []struct {
		name, template string
		wantErr        bool
		want           string
	}{
		{name: "parens", template: "{{ " + strings.Repeat("(", 5000) + "1" + strings.Repeat(")", 5000) + " }}", wantErr: true},
		{name: "unary", template: "{{ " + strings.Repeat("-", 5000) + "1 }}", wantErr: true},
		{name: "not", template: "{{ " + strings.Repeat("not ", 5000) + "1 }}", wantErr: true},
		{name: "ifs", template: strings.Repeat("{% if true %}", 5000) + strings.Repeat("{% endif %}", 5000), wantErr: true},
		{name: "self-referencing-list", template: "{% set l = [1] %}{% set _ = l.append(l) %}{{ l }}", want: "[1, [...]]"},
		{name: "self-referencing-dict", template: "{% set d = {} %}{% set _ = d.update({'d': d}) %}{{ d }}", want: "{'d': {...}}"},
		{name: "self-referencing-tojson", template: "{% set l = [] %}{% set _ = l.append(l) %}{{ l | tojson }}", wantErr: true},
		{name: "self-referencing-to-yaml", template: "{% set l = [] %}{% set _ = l.append(l) %}{{ l | to_yaml }}", wantErr: true},
		{name: "self-referencing-equal", template: "{% set l = [] %}{% set _ = l.append(l) %}{{ l == l }}", want: "True"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := env.RenderString(context.Background(), tc.name, tc.template, nil)
			if tc.wantErr {
				if err == nil {
					t.Fatalf("want an error, got %q", got[:min(len(got), 80)])
				}
				if _, ok := err.(*TemplateError); !ok {
					t.Fatalf("want a *TemplateError, got %T", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Fatalf("(-want +got):\n%s", diff)
			}
		})
	}
}

func TestSelfRendersBlocks(t *testing.T) {
	env := mustEnv(t, Options{Strict: true})
	got, err := env.RenderString(context.Background(), "self", "<{% block title %}T{% endblock %}>|{{ self.title() }}", nil)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff("<T>|T", got); diff != "" {
		t.Fatalf("(-want +got):\n%s", diff)
	}
}
