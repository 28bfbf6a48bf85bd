package deploy

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/go-git/go-git/v5"
	appsv1 "k8s.io/api/apps/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"

	"github.com/kluctl-go/kluctl/e2e/kluctltest"
	"github.com/kluctl-go/kluctl/internal/result"
	"github.com/kluctl-go/kluctl/internal/simcluster"
)

// env is a simulated cluster plus the CLI environment pointing at it.
type env struct {
	t   *testing.T
	c   *simcluster.Cluster
	cs  kubernetes.Interface
	env []string
}

func newEnv(t *testing.T) *env {
	c := simcluster.Current(t)
	cs, err := kubernetes.NewForConfig(c.RESTConfig())
	if err != nil {
		t.Fatal(err)
	}
	return &env{t: t, c: c, cs: cs, env: []string{"KUBECONFIG=" + c.KubeconfigPath()}}
}

// kluctl runs the CLI against the cluster's context.
func (e *env) kluctl(args ...string) kluctltest.Result {
	e.t.Helper()
	return kluctltest.Run(e.t, e.env, append(args, "--context", e.c.Context())...)
}

// mustJSON runs a command with -o json and decodes the result.
func (e *env) mustJSON(args ...string) *result.Result {
	e.t.Helper()
	res := e.kluctl(append(args, "-o", "json")...)
	if res.Code != 0 {
		e.t.Fatalf("kluctl %s failed (exit %d):\nstderr: %s\nstdout: %s", strings.Join(args, " "), res.Code, res.Stderr, res.Stdout)
	}
	return kluctltest.DecodeResult(e.t, res.Stdout)
}

// demoProject copies the microservices demo (part 3) into a git repository
// and returns the project folder.
func demoProject(t *testing.T) string {
	shared := kluctltest.SharedDir(t)
	dst := t.TempDir()
	kluctltest.CopyDir(t, filepath.Join(shared, "examples", "microservices-demo"), filepath.Join(dst, "microservices-demo"))
	if _, err := git.PlainInit(dst, false); err != nil {
		t.Fatal(err)
	}
	return filepath.Join(dst, "microservices-demo", "3-templating-and-multi-env")
}

func writeFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

// waitDeploymentsAvailable waits until every Deployment in ns is Available.
func (e *env) waitDeploymentsAvailable(ns string, want int) {
	e.t.Helper()
	deadline := time.Now().Add(3 * time.Minute)
	for {
		l, err := e.cs.AppsV1().Deployments(ns).List(context.Background(), metav1.ListOptions{})
		if err != nil {
			e.t.Fatal(err)
		}
		var notReady []string
		for _, d := range l.Items {
			if !deploymentAvailable(&d) {
				notReady = append(notReady, d.Name)
			}
		}
		if len(l.Items) >= want && len(notReady) == 0 {
			return
		}
		if time.Now().After(deadline) {
			e.t.Fatalf("deployments in %s not available: %v (have %d, want %d)", ns, notReady, len(l.Items), want)
		}
		time.Sleep(time.Second)
	}
}

func deploymentAvailable(d *appsv1.Deployment) bool {
	for _, c := range d.Status.Conditions {
		if c.Type == appsv1.DeploymentAvailable && c.Status == "True" {
			return d.Status.ObservedGeneration >= d.Generation
		}
	}
	return false
}

func refNames(refs []result.ChangedObject) []string {
	var out []string
	for _, r := range refs {
		out = append(out, r.Ref.String())
	}
	return out
}
