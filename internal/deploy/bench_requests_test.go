package deploy_test

import (
	"context"
	"net/http"
	"os"
	"sort"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/kluctl-go/kluctl/internal/deploy"
	"github.com/kluctl-go/kluctl/internal/k8s"
	"github.com/kluctl-go/kluctl/internal/simcluster"
)

type countingRT struct {
	mu   sync.Mutex
	n    map[string]int
	dur  map[string]time.Duration
	next http.RoundTripper
}

func (c *countingRT) RoundTrip(r *http.Request) (*http.Response, error) {
	start := time.Now()
	resp, err := c.next.RoundTrip(r)
	k := r.Method
	if r.URL.Query().Get("dryRun") != "" {
		k += "-dry"
	}
	c.mu.Lock()
	c.n[k]++
	c.dur[k] += time.Since(start)
	c.mu.Unlock()
	return resp, err
}

func TestBenchmarkRequestCount(t *testing.T) {
	if os.Getenv("KLUCTL_BENCH") == "" {
		t.Skip("set KLUCTL_BENCH=1 to run the benchmark")
	}
	e := newEnv(t)
	cfg := simcluster.Current(t).RESTConfig()
	rt := &countingRT{n: map[string]int{}, dur: map[string]time.Duration{}}
	cfg.WrapTransport = func(next http.RoundTripper) http.RoundTripper { rt.next = next; return rt }
	c, err := k8s.NewClients(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	res := benchObjects(e, "bench-"+e.ns, 200, 10)
	for _, name := range []string{"first", "redeploy", "diff"} {
		rt.mu.Lock()
		rt.n, rt.dur = map[string]int{}, map[string]time.Duration{}
		rt.mu.Unlock()
		var ru0, ru1 syscall.Rusage
		_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru0)
		start := time.Now()
		if name == "diff" {
			_, err = deploy.Diff(ctx, c, res, deploy.DefaultOptions())
		} else {
			_, err = deploy.Deploy(ctx, c, res, deploy.DefaultOptions())
		}
		if err != nil {
			t.Fatal(err)
		}
		var ks []string
		for k := range rt.n {
			ks = append(ks, k)
		}
		sort.Strings(ks)
		for _, k := range ks {
			t.Logf("%s %s: %d requests, avg %s", name, k, rt.n[k], rt.dur[k]/time.Duration(rt.n[k]))
		}
		_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru1)
		cpu := time.Duration(ru1.Utime.Nano() + ru1.Stime.Nano() - ru0.Utime.Nano() - ru0.Stime.Nano())
		t.Logf("%s took %s, client CPU %s", name, time.Since(start), cpu)
	}
}
