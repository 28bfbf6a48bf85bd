package controller

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/kluctl-go/kluctl/api/v1beta1"
	"github.com/kluctl-go/kluctl/internal/gitserver"
	"github.com/kluctl-go/kluctl/internal/gitsource"
	"github.com/kluctl-go/kluctl/internal/render/helm"
)

// TestGitChartCacheNeedsTheCredentials: a git chart pinned to a tag that
// one deployment pulled with its git credentials is not served from the
// chart cache, nor from the git cache, to a deployment without them.
func TestGitChartCacheNeedsTheCredentials(t *testing.T) {
	srv, err := gitserver.Start(t.TempDir(), gitserver.Options{User: "u", Password: "p4ssw0rd"})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	commit, err := srv.Commit("charts", "main", map[string][]byte{"chart/Chart.yaml": []byte("apiVersion: v2\nname: chart\nversion: 0.1.0\n")}, "chart")
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.Tag("charts", "v1", commit); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	sources, err := gitsource.New(gitsource.Options{Dir: filepath.Join(dir, "git"), MinFetchInterval: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	defer sources.Close()
	r := &Reconciler{sources: sources, opts: Options{SourceDir: dir}}
	cfg := &helm.Config{File: "helm-chart.yaml", Git: &helm.GitSource{URL: srv.URL("charts"), SubDir: "chart", Ref: &helm.GitRef{Tag: "v1"}}}
	pull := func(auth *gitsource.Auth) (string, error) {
		rc := r.newRun(context.Background(), &v1beta1.KluctlDeployment{ObjectMeta: metav1.ObjectMeta{Name: "kd", Namespace: "ns"}})
		rc.includeAuth = func(context.Context, string) (*gitsource.Auth, error) { return auth, nil }
		p, err := rc.chartPuller()
		if err != nil {
			t.Fatal(err)
		}
		return p(context.Background(), cfg)
	}

	got, err := pull(&gitsource.Auth{Username: "u", Password: "p4ssw0rd"})
	if err != nil {
		t.Fatalf("pull with the credentials: %v", err)
	}
	if _, err := os.Stat(filepath.Join(got, "Chart.yaml")); err != nil {
		t.Fatal(err)
	}
	if got, err := pull(nil); err == nil {
		t.Errorf("a deployment without credentials was served the chart from %s", got)
	}
	if got, err := pull(&gitsource.Auth{Username: "u", Password: "wrong"}); err == nil {
		t.Errorf("a deployment with wrong credentials was served the chart from %s", got)
	}
	if _, err := pull(&gitsource.Auth{Username: "u", Password: "p4ssw0rd"}); err != nil {
		t.Errorf("the same credentials again: %v", err)
	}
}
