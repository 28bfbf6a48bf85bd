package deploy_test

import (
	"context"
	"os"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/kluctl-go/kluctl/internal/live"
	"github.com/kluctl-go/kluctl/internal/prune"
)

// TestBenchmarkPhases times the read-only phases of a diff of the
// benchmark shape. Run with KLUCTL_BENCH=1.
func TestBenchmarkPhases(t *testing.T) {
	if os.Getenv("KLUCTL_BENCH") == "" {
		t.Skip("set KLUCTL_BENCH=1 to run the benchmark")
	}
	e := newEnv(t)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	res := benchObjects(e, "bench-"+e.ns, 200, 10)
	if _, err := floorApply(ctx, e, res, 32, false); err != nil {
		t.Fatal(err)
	}
	var objs []*unstructured.Unstructured
	for _, it := range res.Items {
		objs = append(objs, it.Objects...)
	}
	for i := 0; i < 2; i++ {
		start := time.Now()
		if _, err := live.Load(ctx, e.c, objs, live.Options{}); err != nil {
			t.Fatal(err)
		}
		t.Logf("live load: %s", time.Since(start))
		start = time.Now()
		if _, _, err := prune.Orphans(ctx, e.c, res, prune.Options{Concurrency: 32}); err != nil {
			t.Fatal(err)
		}
		t.Logf("orphans: %s", time.Since(start))
		d, err := floorApply(ctx, e, res, 32, true)
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("dry-run applies: %s", d)
	}
}
