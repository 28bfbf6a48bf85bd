package chartpull

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kluctl-go/kluctl/internal/gitserver"
	"github.com/kluctl-go/kluctl/internal/gitsource"
	"github.com/kluctl-go/kluctl/internal/render/helm"
)

// A chart that follows a branch is served from a copy per commit: a new
// commit gets a new folder, and the folder of the previous commit, which
// a render may still be reading, stays as it was.
func TestBranchChartIsServedPerCommit(t *testing.T) {
	srv, err := gitserver.Start(t.TempDir(), gitserver.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	chart := func(v string) map[string][]byte {
		return map[string][]byte{
			"chart/Chart.yaml":          []byte("apiVersion: v2\nname: chart\nversion: 0.1.0\n"),
			"chart/templates/cm.yaml":   []byte("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm\ndata:\n  v: " + v + "\n"),
			"chart/templates/only-" + v: []byte(v),
		}
	}
	commit1, err := srv.Commit("charts", "main", chart("one"), "one")
	if err != nil {
		t.Fatal(err)
	}
	sources, err := gitsource.New(gitsource.Options{Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	defer sources.Close()
	p, err := New(Options{FetchGit: (&gitsource.Includes{Cache: sources}).Fetch})
	if err != nil {
		t.Fatal(err)
	}
	cfg := &helm.Config{File: "helm-chart.yaml", Git: &helm.GitSource{URL: srv.URL("charts"), SubDir: "chart", Ref: &helm.GitRef{Branch: "main"}}}
	cacheDir := t.TempDir()
	ctx := context.Background()
	read := func(dir string) string {
		b, err := os.ReadFile(filepath.Join(dir, "templates", "cm.yaml"))
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}

	first, err := p.Cached(ctx, cfg, cacheDir)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasSuffix(first, "@"+commit1) || !strings.Contains(read(first), "v: one") {
		t.Fatalf("the first pull is served from %s", first)
	}
	commit2, err := srv.Commit("charts", "main", chart("two"), "two")
	if err != nil {
		t.Fatal(err)
	}
	second, err := p.Cached(ctx, cfg, cacheDir)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasSuffix(second, "@"+commit2) || !strings.Contains(read(second), "v: two") {
		t.Fatalf("the pull of the new commit is served from %s:\n%s", second, read(second))
	}
	if !strings.Contains(read(first), "v: one") {
		t.Error("the next pull changed the folder of the previous commit")
	}
	if _, err := os.Stat(filepath.Join(first, "templates", "only-two")); err == nil {
		t.Error("the previous commit's folder got a file of the new one")
	}
	again, err := p.Cached(ctx, cfg, cacheDir)
	if err != nil || again != second {
		t.Errorf("the same commit again: %s %v, want %s", again, err, second)
	}
}
