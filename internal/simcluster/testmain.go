package simcluster

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
)

// current is the cluster of the test binary, set by RunMain and read by
// Current. It is the package's only mutable package-level variable: TestMain
// and the tests share nothing else a helper could reach.
var current atomic.Pointer[Cluster]

// RunMain is a TestMain helper: it builds and starts a cluster, runs the
// tests, stops the cluster and returns the exit code for os.Exit. Progress
// and errors go to opts.Progress.
//
// On SIGINT or SIGTERM it stops the cluster and re-raises the signal, so the
// test binary ends as it would have, without leaving processes behind. If
// the test binary dies otherwise (for example on a test timeout), the cluster
// processes die with it through their parent death signal.
func RunMain(m *testing.M, opts Options) int {
	progress := opts.Progress
	if progress == nil {
		progress = io.Discard
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()

	var startMu sync.Mutex // held while starting, so a signal waits for Start to clean up
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, syscall.SIGINT, syscall.SIGTERM)
	defer signal.Stop(sigs)
	go func() {
		sig, ok := <-sigs
		if !ok {
			return
		}
		cancel()
		startMu.Lock()
		if c := current.Load(); c != nil {
			fmt.Fprintf(progress, "simcluster: %v: stopping cluster\n", sig)
			_ = c.Stop()
		}
		signal.Stop(sigs)
		_ = syscall.Kill(os.Getpid(), sig.(syscall.Signal))
	}()

	startMu.Lock()
	began := time.Now()
	fmt.Fprintf(progress, "simcluster: starting cluster (the first run builds Kubernetes, which takes minutes)\n")
	c, err := Start(ctx, opts)
	if err == nil {
		current.Store(c)
	}
	startMu.Unlock()
	if err != nil {
		fmt.Fprintf(progress, "simcluster: %v\n", err)
		return 1
	}
	fmt.Fprintf(progress, "simcluster: cluster ready in %s at %s\n", time.Since(began).Round(100*time.Millisecond), c.Server())

	code := m.Run()

	current.Store(nil)
	if err := c.Stop(); err != nil {
		fmt.Fprintf(progress, "simcluster: stop: %v\n", err)
		if code == 0 {
			code = 1
		}
	}
	return code
}

// Current returns the cluster started by RunMain. It fails the test when
// there is none.
func Current(t testing.TB) *Cluster {
	t.Helper()
	c := current.Load()
	if c == nil {
		t.Fatal("simcluster: no cluster; call simcluster.RunMain in TestMain")
	}
	return c
}

// NewNamespace creates a namespace named after the test, waits until its
// default service account exists and deletes the namespace when the test
// ends.
func (c *Cluster) NewNamespace(t testing.TB) string {
	t.Helper()
	cs, err := kubernetes.NewForConfig(c.RESTConfig())
	if err != nil {
		t.Fatalf("create client: %v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	ns, err := cs.CoreV1().Namespaces().Create(ctx, newNamespaceObject(namespacePrefix(t.Name())), metav1.CreateOptions{})
	if err != nil {
		t.Fatalf("create namespace: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if err := cs.CoreV1().Namespaces().Delete(ctx, ns.Name, metav1.DeleteOptions{}); err != nil {
			t.Errorf("delete namespace %s: %v", ns.Name, err)
		}
	})
	err = c.waitFor(ctx, time.Minute, "service account in "+ns.Name, func(ctx context.Context) (bool, error) {
		return serviceAccountExists(ctx, cs, ns.Name), nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return ns.Name
}

// namespacePrefix turns a test name into a GenerateName prefix.
func namespacePrefix(testName string) string {
	p := strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' {
			return r
		}
		return '-'
	}, strings.ToLower(testName))
	if len(p) > 40 {
		p = p[:40]
	}
	p = strings.Trim(p, "-")
	if p == "" {
		p = "test"
	}
	return p + "-"
}
