package deploy_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"k8s.io/client-go/rest"

	"github.com/kluctl-go/kluctl/internal/deploy"
	"github.com/kluctl-go/kluctl/internal/k8s"
	"github.com/kluctl-go/kluctl/internal/simcluster"
)

// outageProxy forwards to the API server until down is set, then drops
// every connection, like an API server that died mid-deploy.
type outageProxy struct {
	down     atomic.Bool
	requests atomic.Int64
	downAt   int64
	proxy    *httputil.ReverseProxy
}

func (p *outageProxy) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if p.requests.Add(1) > p.downAt {
		p.down.Store(true)
	}
	if p.down.Load() {
		hj, ok := w.(http.Hijacker)
		if !ok {
			panic("no hijacker")
		}
		conn, _, err := hj.Hijack()
		if err == nil {
			conn.Close()
		}
		return
	}
	p.proxy.ServeHTTP(w, r)
}

func TestAPIServerOutageFailsClearlyAndNextDeployConverges(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	cfg := simcluster.Current(t).RESTConfig()
	target, err := url.Parse(cfg.Host)
	if err != nil {
		t.Fatal(err)
	}
	tr, err := rest.TransportFor(cfg)
	if err != nil {
		t.Fatal(err)
	}
	// The server goes away in the middle of the 200 applies: after
	// discovery, the orphan search (a LIST per resource type, ~50) and
	// the live reads (a labelled and a full LIST per kind).
	p := &outageProxy{downAt: 150, proxy: httputil.NewSingleHostReverseProxy(target)}
	p.proxy.Transport = tr
	srv := httptest.NewServer(p)
	defer srv.Close()
	broken, err := k8s.NewClients(&rest.Config{Host: srv.URL, Timeout: 10 * time.Second})
	if err != nil {
		t.Fatal(err)
	}

	disc := "d-" + e.ns
	res := benchObjects(e, disc, 40, 5)
	start := time.Now()
	r, err := deploy.Deploy(e.ctx(), broken, res, deploy.DefaultOptions())
	if err == nil {
		t.Fatal("want the deploy to fail while the API server is gone")
	}
	if took := time.Since(start); took > 30*time.Second {
		t.Errorf("failing took %s, want a quick failure", took)
	}
	msg := err.Error()
	if !strings.Contains(msg, "EOF") && !strings.Contains(msg, "connection") {
		t.Errorf("error does not say the connection failed: %.300s", msg)
	}
	// Every object is accounted for: applied (new) or named in an error.
	accounted := map[string]int{}
	for _, ref := range r.NewObjects {
		accounted[ref.Key().String()]++
	}
	notApplied := 0
	for _, m := range r.Errors {
		if m.Ref.Kind != "" {
			accounted[m.Ref.Key().String()]++
		}
		if strings.Contains(m.Message, "not applied: the API server became unreachable") {
			notApplied++
		}
	}
	for _, it := range res.Items {
		for _, o := range it.Objects {
			key := k8s.RefOf(o).Key().String()
			if accounted[key] != 1 {
				t.Errorf("object %s is reported %d times, want exactly once (applied or failed)", key, accounted[key])
			}
		}
	}
	if notApplied == 0 {
		t.Errorf("no object is reported as not applied because of the outage: %v", r.Errors)
	}

	_, err = deploy.Deploy(e.ctx(), e.c, res, deploy.DefaultOptions())
	if err != nil {
		t.Fatalf("deploy after the outage: %v", err)
	}
	r, err = deploy.Deploy(e.ctx(), e.c, res, deploy.DefaultOptions())
	if err != nil || len(r.NewObjects)+len(r.ChangedObjects) != 0 {
		t.Fatalf("want converged state, got err=%v new=%d changed=%d: %+v", err, len(r.NewObjects), len(r.ChangedObjects), r.ChangedObjects)
	}
	for i := 0; i < 40; i++ {
		if e.get("v1", "ConfigMap", e.ns, fmt.Sprintf("svc%d-o0", i)) == nil {
			t.Fatalf("object svc%d-o0 lost", i)
		}
	}
}
