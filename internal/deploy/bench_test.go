package deploy_test

import (
	"context"
	"fmt"
	"os"
	"sync"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/types"

	"github.com/kluctl-go/kluctl/internal/deploy"
	"github.com/kluctl-go/kluctl/internal/render"
)

// benchObjects builds the shape of the 200x10 benchmark project of
// /work/shared/bench: per item 4 ConfigMaps, 3 Services, 3 Deployments.
func benchObjects(e *env, disc string, items, objs int) *render.Result {
	res := &render.Result{Target: "bench", Discriminator: disc}
	for i := 0; i < items; i++ {
		var docs string
		for j := 0; j < objs; j++ {
			name := fmt.Sprintf("svc%d-o%d", i, j)
			switch j % 3 {
			case 0:
				docs += fmt.Sprintf(`
apiVersion: v1
kind: ConfigMap
metadata: {name: %s, namespace: NS, labels: {app.kubernetes.io/name: %s, app.kubernetes.io/part-of: bench, cost-center: "1234"}}
data: {domain: dev.example.com, env: DEV, items: "0,1,2,3,4", hash: %x, json: '{"a": 1, "b": [1, 2]}'}
---`, name, name, name)
			case 1:
				docs += fmt.Sprintf(`
apiVersion: v1
kind: Service
metadata: {name: %s, namespace: NS}
spec:
  selector: {app: svc%d}
  ports: [{name: p80, port: 80, targetPort: 1080}, {name: p443, port: 443, targetPort: 1443}, {name: p8080, port: 8080, targetPort: 9080}]
---`, name, i)
			default:
				docs += fmt.Sprintf(`
apiVersion: apps/v1
kind: Deployment
metadata: {name: %s, namespace: NS, labels: {team: platform}}
spec:
  replicas: 1
  selector: {matchLabels: {app: %s}}
  template:
    metadata: {labels: {app: %s}}
    spec:
      containers:
      - name: main
        image: registry.local/app:1.%d
        resources: {limits: {memory: 128Mi}}
        env: [{name: ENV, value: dev}, {name: DOMAIN, value: dev.example.com}, {name: IDX, value: "%d"}]
---`, name, name, name, i, i)
			}
		}
		res.Items = append(res.Items, &render.Item{Dir: fmt.Sprintf("svc%d", i), Objects: e.objects(disc, docs)})
	}
	return res
}

// floorApply is the reference: plain concurrent server-side apply of every
// object with the given number of workers, nothing else.
func floorApply(ctx context.Context, e *env, res *render.Result, workers int, dryRun bool) (time.Duration, error) {
	start := time.Now()
	ch := make(chan *unstructured.Unstructured)
	var wg sync.WaitGroup
	var mu sync.Mutex
	var firstErr error
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for o := range ch {
				ri, _, err := e.c.Resource(o.GroupVersionKind(), o.GetNamespace())
				if err == nil {
					var b []byte
					b, err = o.MarshalJSON()
					force := false
					opts := metav1.PatchOptions{FieldManager: "floor", Force: &force}
					if dryRun {
						opts.DryRun = []string{metav1.DryRunAll}
					}
					if err == nil {
						_, err = ri.Patch(ctx, o.GetName(), types.ApplyPatchType, b, opts)
					}
				}
				if err != nil {
					mu.Lock()
					if firstErr == nil {
						firstErr = err
					}
					mu.Unlock()
				}
			}
		}()
	}
	for _, it := range res.Items {
		for _, o := range it.Objects {
			ch <- o
		}
	}
	close(ch)
	wg.Wait()
	return time.Since(start), firstErr
}

// settleTime is the pause between benchmark phases.
const settleTime = 15 * time.Second

// TestBenchmarkProject compares deploy, redeploy and diff of the benchmark
// shape with plain concurrent server-side apply. Run with KLUCTL_BENCH=1.
func TestBenchmarkProject(t *testing.T) {
	if os.Getenv("KLUCTL_BENCH") == "" {
		t.Skip("set KLUCTL_BENCH=1 to run the benchmark")
	}
	floorEnv, ourEnv := newEnv(t), newEnv(t)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	floorRes := benchObjects(floorEnv, "bench-floor-"+floorEnv.ns, 200, 10)
	ourRes := benchObjects(ourEnv, "bench-"+ourEnv.ns, 200, 10)

	// Each phase runs ours and the floor back to back, alternating who goes
	// first, and lets the controllers settle (pods of 600 Deployments)
	// before the next phase, so that neither side pays for the other's churn.
	settle := func() { time.Sleep(settleTime) }
	start := time.Now()
	r, err := deploy.Deploy(ctx, ourEnv.c, ourRes, deploy.DefaultOptions())
	ours1 := time.Since(start)
	if err != nil {
		t.Fatal(err)
	}
	settle()
	floor1, err := floorApply(ctx, floorEnv, floorRes, 8, false)
	if err != nil {
		t.Fatal(err)
	}
	settle()
	if len(r.NewObjects) != 2000 {
		t.Errorf("want 2000 new objects, got %d", len(r.NewObjects))
	}

	floor2, err := floorApply(ctx, floorEnv, floorRes, 32, false)
	if err != nil {
		t.Fatal(err)
	}
	start = time.Now()
	r, err = deploy.Deploy(ctx, ourEnv.c, ourRes, deploy.DefaultOptions())
	ours2 := time.Since(start)
	if err != nil {
		t.Fatal(err)
	}
	if len(r.ChangedObjects)+len(r.NewObjects) != 0 {
		t.Errorf("redeploy: want no changes, got %d changed (first %+v)", len(r.ChangedObjects), r.ChangedObjects[:min(1, len(r.ChangedObjects))])
	}
	settle()

	floor3, err := floorApply(ctx, floorEnv, floorRes, 32, true)
	if err != nil {
		t.Fatal(err)
	}
	start = time.Now()
	if _, err = deploy.Diff(ctx, ourEnv.c, ourRes, deploy.DefaultOptions()); err != nil {
		t.Fatal(err)
	}
	ours3 := time.Since(start)

	for _, m := range []struct {
		name        string
		ours, floor time.Duration
	}{{"first deploy", ours1, floor1}, {"redeploy", ours2, floor2}, {"diff", ours3, floor3}} {
		t.Logf("%-13s ours %6.2fs  floor %6.2fs  ratio %.2f", m.name, m.ours.Seconds(), m.floor.Seconds(), m.ours.Seconds()/m.floor.Seconds())
	}
}
