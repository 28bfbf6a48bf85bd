package engine_test

import (
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"sort"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/kluctl-go/kluctl/internal/deploy"
	"github.com/kluctl-go/kluctl/internal/engine"
	"github.com/kluctl-go/kluctl/internal/k8s"
	"github.com/kluctl-go/kluctl/internal/prune"
	"github.com/kluctl-go/kluctl/internal/simcluster"
)

// outcome is what one render and deploy of a project produced.
type outcome struct {
	Hash    string
	Objects []string // rendered objects as JSON, in deployment order
	New     []string // objects the deploy created
	Changed []string
	Errors  []string
}

func runProject(ctx context.Context, t *testing.T, dir, scratch string, provider engine.ClusterProvider) (outcome, error) {
	tgt, err := engine.Load(ctx, engine.Options{ProjectDir: dir, Target: "t", Cluster: provider, ScratchDir: scratch})
	if err != nil {
		return outcome{}, err
	}
	var out outcome
	out.Hash = tgt.ObjectsHash
	for _, it := range tgt.Rendered.Items {
		for _, o := range it.Objects {
			b, err := json.Marshal(o.Object)
			if err != nil {
				return out, err
			}
			out.Objects = append(out.Objects, string(b))
		}
	}
	opts := deploy.DefaultOptions()
	opts.NoWait = true
	res, err := tgt.Deploy(ctx, opts)
	if res == nil {
		return out, err
	}
	for _, r := range res.NewObjects {
		out.New = append(out.New, r.Key().String())
	}
	for _, c := range res.ChangedObjects {
		out.Changed = append(out.Changed, c.Ref.Key().String())
	}
	for _, e := range res.Errors {
		out.Errors = append(out.Errors, e.Message)
	}
	sort.Strings(out.New)
	return out, nil
}

func deleteProject(ctx context.Context, t *testing.T, dir string, provider engine.ClusterProvider) {
	t.Helper()
	tgt, err := engine.Load(ctx, engine.Options{ProjectDir: dir, Target: "t", Cluster: provider})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tgt.Delete(ctx, prune.DefaultOptions()); err != nil {
		t.Fatal(err)
	}
}

// TestConcurrentProjectsMatchSerialRuns renders and deploys eight different
// projects one at a time, deletes them, then renders and deploys all eight
// at once in one process: every project must render the same objects and
// get the same deploy result, and the shared request limiter must have
// bounded the requests in flight.
func TestConcurrentProjectsMatchSerialRuns(t *testing.T) {
	cl := simcluster.Current(t)
	ctx := testCtx(t)
	pool := k8s.NewPool(k8s.PoolOptions{MaxInFlight: 12})
	provider := clusterProvider(t, pool)
	scratch := t.TempDir()

	const n = 8
	dirs := make([]string, n)
	for i := range dirs {
		ns := cl.NewNamespace(t)
		dirs[i] = filepath.Join(t.TempDir(), fmt.Sprintf("project-%d", i))
		writeFiles(t, dirs[i], testProject(i, ns))
	}

	serial := make([]outcome, n)
	for i, dir := range dirs {
		out, err := runProject(ctx, t, dir, scratch, provider)
		if err != nil {
			t.Fatalf("serial run of project %d: %v", i, err)
		}
		if len(out.Errors) != 0 || len(out.New) == 0 {
			t.Fatalf("serial run of project %d: errors %v, new objects %v", i, out.Errors, out.New)
		}
		serial[i] = out
	}
	for i := 1; i < n; i++ {
		if serial[i].Hash == serial[0].Hash {
			t.Fatalf("projects 0 and %d render the same objects; the test needs different projects", i)
		}
	}
	for _, dir := range dirs {
		deleteProject(ctx, t, dir, provider)
	}

	concurrent := make([]outcome, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i, dir := range dirs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			concurrent[i], errs[i] = runProject(ctx, t, dir, scratch, provider)
		}()
	}
	wg.Wait()
	for i := range dirs {
		if errs[i] != nil {
			t.Errorf("concurrent run of project %d: %v", i, errs[i])
			continue
		}
		if d := cmp.Diff(serial[i], concurrent[i]); d != "" {
			t.Errorf("project %d: concurrent run differs from the serial run (-serial +concurrent):\n%s", i, d)
		}
	}
	l := pool.Limiter(cl.RESTConfig().Host)
	if l.Peak() > int64(l.Size()) || l.Peak() == 0 {
		t.Errorf("requests in flight peaked at %d, want between 1 and the limit %d", l.Peak(), l.Size())
	}
	t.Logf("%d requests, at most %d in flight (limit %d)", l.Total(), l.Peak(), l.Size())
	emptyDir(t, scratch, "after the runs")
}
