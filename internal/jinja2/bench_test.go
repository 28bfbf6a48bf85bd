package jinja2

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/nikolalohinski/gonja/v2"
	gonjaexec "github.com/nikolalohinski/gonja/v2/exec"
)

// plainJSON converts json.Number values into int or float64 for gonja.
func plainJSON(v any) any {
	switch x := v.(type) {
	case json.Number:
		if i, err := x.Int64(); err == nil {
			return int(i)
		}
		f, _ := x.Float64()
		return f
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, it := range x {
			out[k] = plainJSON(it)
		}
		return out
	case []any:
		out := make([]any, len(x))
		for i, it := range x {
			out[i] = plainJSON(it)
		}
		return out
	}
	return v
}

type benchFixture struct {
	source, expected string
	vars             map[string]any
}

func loadBenchFixture(b *testing.B) benchFixture {
	b.Helper()
	dir := corpusDir(b)
	src, err := os.ReadFile(filepath.Join(dir, "bench", "manifest.yaml.j2"))
	if err != nil {
		b.Fatalf("read template: %v", err)
	}
	want, err := os.ReadFile(filepath.Join(dir, "bench", "manifest.expected"))
	if err != nil {
		b.Fatalf("read expected output: %v", err)
	}
	return benchFixture{source: string(src), expected: string(want), vars: loadVars(b, dir)}
}

// BenchmarkManifest renders the 200-line manifest with this engine and with
// gonja, parsing on every iteration (fresh) or once (cached).
func BenchmarkManifest(b *testing.B) {
	fx := loadBenchFixture(b)
	ctx := context.Background()
	env, err := NewEnvironment(Options{Strict: true})
	if err != nil {
		b.Fatal(err)
	}
	check, err := env.RenderString(ctx, "manifest.yaml.j2", fx.source, fx.vars)
	if err != nil {
		b.Fatalf("render: %v", err)
	}
	if check != fx.expected {
		b.Fatalf("output differs from bench/manifest.expected:\n%s", check)
	}
	gonjaVars := plainJSON(map[string]any(fx.vars)).(map[string]any)
	gt, err := gonja.FromString(fx.source)
	if err != nil {
		b.Fatalf("gonja parse: %v", err)
	}
	if out, err := gt.ExecuteToString(gonjaexec.NewContext(gonjaVars)); err != nil || !strings.Contains(out, "kind: Deployment") {
		b.Fatalf("gonja render: %v", err)
	}

	b.Run("ours/fresh", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			t, err := env.FromString("manifest.yaml.j2", fx.source)
			if err != nil {
				b.Fatal(err)
			}
			if _, err := t.Render(ctx, fx.vars); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("gonja/fresh", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			t, err := gonja.FromString(fx.source)
			if err != nil {
				b.Fatal(err)
			}
			if _, err := t.ExecuteToString(gonjaexec.NewContext(gonjaVars)); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("ours/cached", func(b *testing.B) {
		t, err := env.FromString("manifest.yaml.j2", fx.source)
		if err != nil {
			b.Fatal(err)
		}
		b.ReportAllocs()
		for b.Loop() {
			if _, err := t.Render(ctx, fx.vars); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("gonja/cached", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := gt.ExecuteToString(gonjaexec.NewContext(gonjaVars)); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkManifestParse measures parsing alone.
func BenchmarkManifestParse(b *testing.B) {
	fx := loadBenchFixture(b)
	env, err := NewEnvironment(Options{Strict: true})
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := env.FromString("manifest.yaml.j2", fx.source); err != nil {
			b.Fatal(err)
		}
	}
}
