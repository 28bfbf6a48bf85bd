package deploy

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"path/filepath"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"

	"github.com/kluctl-go/kluctl/e2e/kluctltest"
)

// TestKubeconfigFlag: --kubeconfig names the kubeconfig to use, also when
// $KUBECONFIG points elsewhere.
func TestKubeconfigFlag(t *testing.T) {
	e := newEnv(t)
	ns := e.c.NewNamespace(t)
	dir := confirmProject(t, ns)
	bogus := []string{"KUBECONFIG=" + filepath.Join(t.TempDir(), "missing-kubeconfig")}
	args := []string{"deploy", "--yes", "--project-dir", dir, "-t", "t", "--context", e.c.Context()}

	res := kluctltest.Run(t, bogus, args...)
	if res.Code == 0 {
		t.Fatalf("deploy with a missing kubeconfig succeeded:\n%s", res.Stderr)
	}
	res = kluctltest.Run(t, bogus, append(args, "--kubeconfig", e.c.KubeconfigPath())...)
	if res.Code != 0 {
		t.Fatalf("deploy with --kubeconfig failed (exit %d):\n%s", res.Code, res.Stderr)
	}
	if _, err := e.cs.CoreV1().ConfigMaps(ns).Get(context.Background(), "confirm", metav1.GetOptions{}); err != nil {
		t.Fatalf("ConfigMap not deployed through --kubeconfig: %v", err)
	}
	res = kluctltest.Run(t, bogus, append(args, "--kubeconfig", filepath.Join(t.TempDir(), "nope"))...)
	if res.Code == 0 || !strings.Contains(res.Stderr, "does not exist") {
		t.Errorf("--kubeconfig with a missing file must fail while parsing flags, got exit %d:\n%s", res.Code, res.Stderr)
	}
}

// dyingProxy forwards to the API server until it has served limit
// requests, then drops every connection: an API server that dies
// mid-deploy.
type dyingProxy struct {
	limit    int64
	requests atomic.Int64
	proxy    *httputil.ReverseProxy
}

func (p *dyingProxy) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if p.requests.Add(1) > p.limit {
		if hj, ok := w.(http.Hijacker); ok {
			if conn, _, err := hj.Hijack(); err == nil {
				conn.Close()
			}
		}
		return
	}
	p.proxy.ServeHTTP(w, r)
}

// proxyKubeconfig writes a kubeconfig whose only context talks to the API
// server through a proxy that dies after limit requests.
func proxyKubeconfig(t *testing.T, cfg *rest.Config, limit int64) (string, *dyingProxy) {
	t.Helper()
	target, err := url.Parse(cfg.Host)
	if err != nil {
		t.Fatal(err)
	}
	tr, err := rest.TransportFor(cfg)
	if err != nil {
		t.Fatal(err)
	}
	p := &dyingProxy{limit: limit, proxy: httputil.NewSingleHostReverseProxy(target)}
	p.proxy.Transport = tr
	p.proxy.ErrorLog = nil
	srv := httptest.NewServer(p)
	t.Cleanup(srv.Close)
	kc := clientcmdapi.NewConfig()
	kc.Clusters["dying"] = &clientcmdapi.Cluster{Server: srv.URL}
	kc.AuthInfos["dying"] = &clientcmdapi.AuthInfo{}
	kc.Contexts["dying"] = &clientcmdapi.Context{Cluster: "dying", AuthInfo: "dying"}
	kc.CurrentContext = "dying"
	path := filepath.Join(t.TempDir(), "kubeconfig")
	if err := clientcmd.WriteToFile(*kc, path); err != nil {
		t.Fatal(err)
	}
	return path, p
}

// klogLine matches client-go's log lines ("E1201 10:00:00.000 ...").
var klogLine = regexp.MustCompile(`(?m)^[IWEF]\d{4} \d\d:\d\d:\d\d`)

// TestUnreachableAPIServerNamesEveryObjectNotApplied: when the API server
// goes away mid-deploy, the result names every object that was not
// applied, and stderr carries only kluctl's own error, no client-go noise.
func TestUnreachableAPIServerNamesEveryObjectNotApplied(t *testing.T) {
	e := newEnv(t)
	ns := e.c.NewNamespace(t)
	var b strings.Builder
	b.WriteString("deployments:\n")
	files := map[string]string{".kluctl.yaml": "discriminator: dying-{{ target.name }}\ntargets:\n  - name: t\n"}
	const items, perItem = 12, 10
	for i := 0; i < items; i++ {
		fmt.Fprintf(&b, "  - path: item%d\n", i)
		var docs []string
		for j := 0; j < perItem; j++ {
			docs = append(docs, fmt.Sprintf("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm-%d-%d\n  namespace: %s\ndata:\n  a: b\n", i, j, ns))
		}
		files[fmt.Sprintf("item%d/cms.yaml", i)] = strings.Join(docs, "---\n")
	}
	files["deployment.yaml"] = b.String()
	dir := kluctltest.WriteProject(t, files)

	kubeconfig, proxy := proxyKubeconfig(t, e.c.RESTConfig(), 150)
	res := kluctltest.Run(t, nil, "deploy", "--yes", "--project-dir", dir, "-t", "t", "--kubeconfig", kubeconfig, "-o", "json")
	if res.Code == 0 {
		t.Fatalf("deploy through a dying API server succeeded (%d requests)", proxy.requests.Load())
	}
	if proxy.requests.Load() <= proxy.limit {
		t.Fatalf("the proxy never died (%d requests); the test needs a bigger project", proxy.requests.Load())
	}
	if !strings.HasPrefix(strings.TrimSpace(res.Stdout), "{") {
		t.Fatalf("no JSON result on stdout:\nstdout: %s\nstderr: %s", res.Stdout, res.Stderr)
	}
	r := kluctltest.DecodeResult(t, res.Stdout)
	reported := map[string]bool{}
	for _, ref := range r.NewObjects {
		reported[ref.Name] = true
	}
	for _, m := range r.Errors {
		if m.Ref.Name != "" {
			reported[m.Ref.Name] = true
		}
	}
	for i := 0; i < items; i++ {
		for j := 0; j < perItem; j++ {
			if name := fmt.Sprintf("cm-%d-%d", i, j); !reported[name] {
				t.Errorf("object %s is neither reported as applied nor named in an error", name)
			}
		}
	}
	if klogLine.MatchString(res.Stderr) || strings.Contains(res.Stderr, "Unhandled Error") {
		t.Errorf("stderr carries client-go log lines:\n%s", res.Stderr)
	}
	for _, line := range strings.Split(strings.TrimSpace(res.Stderr), "\n") {
		// The result store is unreachable too: a warning, not a failure.
		if strings.HasPrefix(line, "Warning: the command result was not stored") {
			continue
		}
		if !strings.HasPrefix(line, "Error:") && !strings.HasPrefix(line, "  ") && line != "" {
			t.Errorf("unexpected stderr line %q", line)
		}
	}
}
