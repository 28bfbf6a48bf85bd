package deploy_test

import (
	"net/http"
	"strings"
	"sync"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/client-go/rest"

	"github.com/kluctl-go/kluctl/internal/k8s"
	"github.com/kluctl-go/kluctl/internal/live"
	"github.com/kluctl-go/kluctl/internal/simcluster"
)

// requestLog records the method and URL of every request.
type requestLog struct {
	mu   sync.Mutex
	reqs []string
}

func (l *requestLog) wrap(rt http.RoundTripper) http.RoundTripper {
	return roundTripFunc(func(r *http.Request) (*http.Response, error) {
		l.mu.Lock()
		l.reqs = append(l.reqs, r.Method+" "+r.URL.String())
		l.mu.Unlock()
		return rt.RoundTrip(r)
	})
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// A target that shares its namespace with many foreign objects reads its
// live state through its discriminator, never the whole namespace, and
// still finds its objects that do not carry the label yet.
func TestLiveStateReadsOnlyTheTargetsObjects(t *testing.T) {
	e := newEnv(t)
	ctx := e.ctx()
	var foreign []*unstructured.Unstructured
	for _, n := range []string{"f1", "f2", "f3", "f4", "f5", "f6", "f7", "f8"} {
		foreign = append(foreign, e.objects("other", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: "+n+"\n  namespace: NS\n")...)
	}
	mine := e.objects("mine", `apiVersion: v1
kind: ConfigMap
metadata: {name: a, namespace: NS}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: b, namespace: NS}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: c, namespace: NS}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: d, namespace: NS}
`)
	adopted := e.objects("", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: adopted\n  namespace: NS\n")
	for _, o := range append(append(foreign, mine...), adopted...) {
		ri, _, err := e.c.Resource(o.GroupVersionKind(), e.ns)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := ri.Create(ctx, o, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	missing := e.objects("mine", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: not-yet\n  namespace: NS\n")
	want := append(append(append([]*unstructured.Unstructured{}, mine...), adopted...), missing...)

	var log requestLog
	cfg := rest.CopyConfig(simcluster.Current(t).RESTConfig())
	cfg.Wrap(log.wrap)
	c, err := k8s.NewClients(cfg)
	if err != nil {
		t.Fatal(err)
	}
	objs, err := live.Load(ctx, c, want, live.Options{Selector: k8s.DiscriminatorSelector("mine")})
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range []string{"a", "b", "c", "d", "adopted"} {
		if objs.Get(k8s.ObjectRef{Version: "v1", Kind: "ConfigMap", Namespace: e.ns, Name: n}) == nil {
			t.Errorf("live state lacks %s", n)
		}
	}
	if len(objs) != 5 {
		t.Errorf("live state has %d objects, want 5 (foreign ones must not be kept)", len(objs))
	}
	for _, r := range log.reqs {
		if strings.Contains(r, "/configmaps?") && !strings.Contains(r, "labelSelector=") {
			t.Errorf("the whole namespace was listed: %s", r)
		}
	}
	// Without a discriminator the group is listed whole, as before.
	log.reqs = nil
	if _, err := live.Load(ctx, c, want, live.Options{}); err != nil {
		t.Fatal(err)
	}
	listed := false
	for _, r := range log.reqs {
		listed = listed || (strings.Contains(r, "/configmaps?") && !strings.Contains(r, "labelSelector="))
	}
	if !listed {
		t.Errorf("without a selector the group was not listed: %v", log.reqs)
	}
}
