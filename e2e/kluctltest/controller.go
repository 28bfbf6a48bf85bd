package kluctltest

import (
	"bytes"
	"context"
	"encoding/json"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/go-logr/logr"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/kluctl-go/kluctl/api/v1beta1"
	"github.com/kluctl-go/kluctl/internal/controller"
	"github.com/kluctl-go/kluctl/internal/gitserver"
	"github.com/kluctl-go/kluctl/internal/k8s"
	"github.com/kluctl-go/kluctl/internal/runtimelog"
	"github.com/kluctl-go/kluctl/internal/simcluster"
)

// ControllerClients are the clients of a test of the controller: typed,
// controller-runtime (with the KluctlDeployment types) and the engine's.
type ControllerClients struct {
	CS      kubernetes.Interface
	CL      client.Client
	Clients *k8s.Clients
}

// NewControllerClients connects to cfg and applies the controller's CRDs.
func NewControllerClients(t testing.TB, cfg *rest.Config) ControllerClients {
	t.Helper()
	cs, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		t.Fatal(err)
	}
	scheme, err := controller.Scheme()
	if err != nil {
		t.Fatal(err)
	}
	cl, err := client.New(cfg, client.Options{Scheme: scheme})
	if err != nil {
		t.Fatal(err)
	}
	clients, err := k8s.NewClients(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := controller.ApplyCRDs(context.Background(), clients, "kluctl-test"); err != nil {
		t.Fatal(err)
	}
	return ControllerClients{CS: cs, CL: cl, Clients: clients}
}

// DemoGitServer starts a git server with basic auth holding the shared
// microservices demo as repository repo (under microservices-demo/); it is
// closed when the test ends.
func DemoGitServer(t testing.TB, user, password, repo string) *gitserver.Server {
	t.Helper()
	srv, err := gitserver.Start(t.TempDir(), gitserver.Options{User: user, Password: password})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = srv.Close() })
	if _, err := srv.CommitDir(repo, "main", filepath.Join(SharedDir(t), "examples", "microservices-demo"), "microservices-demo", "demo"); err != nil {
		t.Fatal(err)
	}
	return srv
}

// CreateCredentialsSecret creates a Secret name in ns with the username
// and password keys KluctlDeployments and GitRepositories read.
func CreateCredentialsSecret(t testing.TB, cs kubernetes.Interface, ns, name, user, password string) {
	t.Helper()
	if _, err := cs.CoreV1().Secrets(ns).Create(context.Background(), &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Name: name},
		StringData: map[string]string{"username": user, "password": password},
	}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
}

// SyncBuffer is a buffer that a running command writes while the test
// reads it.
type SyncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *SyncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *SyncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// DemoPath is the demo project the KluctlDeployments of DemoKD deploy.
const DemoPath = "microservices-demo/3-templating-and-multi-env"

// DemoKD is a KluctlDeployment of the demo in the git repository at url
// (credentials from the Secret git-credentials) for target, context
// "default", deploy mode full; the caller sets the intervals.
func DemoKD(ns, name, url, target string) *v1beta1.KluctlDeployment {
	ctxName := "default"
	return &v1beta1.KluctlDeployment{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns},
		Spec: v1beta1.KluctlDeploymentSpec{
			Source:      v1beta1.ProjectSource{Git: &v1beta1.ProjectSourceGit{URL: url, Path: DemoPath, Ref: &v1beta1.GitRef{Branch: "main"}}},
			Credentials: v1beta1.ProjectCredentials{Git: []v1beta1.ProjectCredentialsGit{{Host: "127.0.0.1", SecretRef: v1beta1.LocalObjectReference{Name: "git-credentials"}}}},
			Target:      &target,
			Context:     &ctxName,
			DeployMode:  v1beta1.KluctlDeployModeFull,
		},
	}
}

// GetKD reads the KluctlDeployment ns/name.
func GetKD(t testing.TB, cl client.Client, ns, name string) *v1beta1.KluctlDeployment {
	t.Helper()
	var kd v1beta1.KluctlDeployment
	if err := cl.Get(context.Background(), types.NamespacedName{Namespace: ns, Name: name}, &kd); err != nil {
		t.Fatal(err)
	}
	return &kd
}

// WaitForKD polls the KluctlDeployment ns/name until cond holds; after
// timeout the test fails naming what did not happen, with the status.
func WaitForKD(t testing.TB, cl client.Client, ns, name, what string, timeout time.Duration, cond func(*v1beta1.KluctlDeployment) bool) *v1beta1.KluctlDeployment {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		kd := GetKD(t, cl, ns, name)
		if cond(kd) {
			return kd
		}
		if time.Now().After(deadline) {
			b, _ := json.MarshalIndent(kd.Status, "", "  ")
			t.Fatalf("%s: %s did not happen within %s; status:\n%s", name, what, timeout, b)
		}
		time.Sleep(500 * time.Millisecond)
	}
}

// RunMain is the TestMain of packages that run controllers in-process:
// the simulated cluster of opts for the package's tests. The controllers
// log through their tests; controller-runtime's process-wide lines
// (informer caches) have no test to go to and are dropped.
func RunMain(m *testing.M, opts simcluster.Options) int {
	runtimelog.Route(logr.Discard())
	return simcluster.RunMain(m, opts)
}
