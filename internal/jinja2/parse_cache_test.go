package jinja2

import (
	"context"
	"os"
	"path/filepath"
	"testing"
)

func TestParseCacheSharedBetweenEnvironments(t *testing.T) {
	root := t.TempDir()
	sub := filepath.Join(root, "sub")
	if err := os.MkdirAll(sub, 0o755); err != nil {
		t.Fatal(err)
	}
	write := func(p, s string) {
		if err := os.WriteFile(p, []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write(filepath.Join(root, "macros.j2"), "{% macro greet(n) %}hi {{ n }}{% endmacro %}{% include './part.j2' %}")
	write(filepath.Join(root, "part.j2"), "")
	write(filepath.Join(root, "broken.j2"), "{% if %}")
	cache := NewParseCache()
	envA, _ := NewEnvironment(Options{Strict: true, SearchPath: []string{root}, ParseCache: cache})
	envB, _ := NewEnvironment(Options{Strict: true, SearchPath: []string{sub, root}, ParseCache: cache})
	for _, env := range []*Environment{envA, envB} {
		out, err := env.RenderString(context.Background(), "t", `{% import "macros.j2" as m %}{{ m.greet(x) }}`, map[string]any{"x": "you"})
		if err != nil || out != "hi you" {
			t.Errorf("render with shared cache = %q, %v", out, err)
		}
		if _, err := env.GetTemplate("broken.j2"); err == nil {
			t.Errorf("a syntax error must be reported by every environment")
		}
	}
	if len(cache.m) != 3 {
		t.Errorf("cache holds %d files, want 3 (macros, part, broken)", len(cache.m))
	}
}
