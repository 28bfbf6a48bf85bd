package engine_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/kluctl-go/kluctl/internal/engine"
	"github.com/kluctl-go/kluctl/internal/k8s"
	"github.com/kluctl-go/kluctl/internal/simcluster"
)

func TestMain(m *testing.M) {
	os.Exit(simcluster.RunMain(m, simcluster.Options{Progress: os.Stderr}))
}

// clusterProvider connects every run to the test cluster through pool, so
// that concurrent runs share one request limiter.
func clusterProvider(t testing.TB, pool *k8s.Pool) engine.ClusterProvider {
	cl := simcluster.Current(t)
	return engine.ClusterFunc(func(ctx context.Context, kubeContext string) (*engine.Cluster, error) {
		c, err := pool.Clients(cl.RESTConfig())
		if err != nil {
			return nil, err
		}
		return &engine.Cluster{Clients: c, Name: "simcluster"}, nil
	})
}

func testCtx(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	t.Cleanup(cancel)
	return ctx
}

// writeFiles writes files (slash paths) below dir.
func writeFiles(t testing.TB, dir string, files map[string]string) {
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

// emptyDir fails the test unless dir is missing or empty.
func emptyDir(t testing.TB, dir, when string) {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil && !os.IsNotExist(err) {
		t.Fatal(err)
	}
	if len(entries) != 0 {
		var names []string
		for _, e := range entries {
			names = append(names, e.Name())
		}
		t.Errorf("%s: scratch folder %s still holds %v", when, dir, names)
	}
}
