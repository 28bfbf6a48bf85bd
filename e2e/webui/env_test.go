package webui

import (
	"bytes"
	"context"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"k8s.io/client-go/kubernetes"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/kluctl-go/kluctl/api/v1beta1"
	"github.com/kluctl-go/kluctl/e2e/kluctltest"
	"github.com/kluctl-go/kluctl/internal/cli"
	"github.com/kluctl-go/kluctl/internal/cli/controllercmd"
	"github.com/kluctl-go/kluctl/internal/controller"
	"github.com/kluctl-go/kluctl/internal/gitserver"
	"github.com/kluctl-go/kluctl/internal/iostreams"
	"github.com/kluctl-go/kluctl/internal/simcluster"
)

const (
	gitUser, gitPassword = "deployer", "git-s3cret-pw"
	demoPath             = kluctltest.DemoPath
)

// env is the simulated cluster with the demo in a git server, the
// controller and the web UI's RBAC.
type env struct {
	t   *testing.T
	c   *simcluster.Cluster
	cs  kubernetes.Interface
	cl  client.Client
	git *gitserver.Server
	ns  string
}

func newEnv(t *testing.T) *env {
	t.Helper()
	c := simcluster.Current(t)
	cfg := c.RESTConfig()
	cc := kluctltest.NewControllerClients(t, cfg)
	srv := kluctltest.DemoGitServer(t, gitUser, gitPassword, "demo")
	e := &env{t: t, c: c, cs: cc.CS, cl: cc.CL, git: srv, ns: c.NewNamespace(t)}
	kluctltest.CreateCredentialsSecret(t, cc.CS, e.ns, "git-credentials", gitUser, gitPassword)
	e.applyWebuiRBAC()
	e.startController()
	return e
}

// applyWebuiRBAC applies the RBAC of the install project's web UI: the
// roles of the users that admin and viewer logins impersonate, and (with
// all) the UI's own service account and its rights.
func (e *env) applyWebuiRBAC(all ...bool) {
	t := e.t
	b, err := os.ReadFile(filepath.Join("..", "..", "internal", "controller", "install", "project", "webui", "rbac.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	for _, ns := range []string{"kluctl-system", "kluctl-results"} {
		nsObj := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}
		if err := e.cl.Create(ctx, nsObj); err != nil && !apierrors.IsAlreadyExists(err) {
			t.Fatal(err)
		}
	}
	dec := utilyaml.NewYAMLOrJSONDecoder(bytes.NewReader(b), 4096)
	for {
		var u unstructured.Unstructured
		if err := dec.Decode(&u.Object); err != nil {
			break
		}
		if len(u.Object) == 0 || (len(all) == 0 && !strings.HasPrefix(u.GetName(), "kluctl-webui-")) {
			continue
		}
		if err := e.cl.Create(ctx, &u); err != nil && !apierrors.IsAlreadyExists(err) {
			t.Fatalf("apply %s %s: %v", u.GetKind(), u.GetName(), err)
		}
	}
}

// startController runs the controller in-process, logging as `kluctl
// controller run` does into the logs of a pod labelled as the controller's
// (in the test's namespace, the UI's controller namespace).
func (e *env) startController() {
	t := e.t
	logPath := filepath.Join(t.TempDir(), "controller.log")
	logFile, err := os.Create(logPath)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = logFile.Close()
		if t.Failed() {
			if b, err := os.ReadFile(logPath); err == nil {
				t.Logf("controller log:\n%s", b)
			}
		}
	})
	ctx, cancel := context.WithCancel(context.Background())
	pod := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: "kluctl-controller-0", Namespace: e.ns, Labels: map[string]string{"control-plane": "kluctl-controller"}},
		Spec:       corev1.PodSpec{Containers: []corev1.Container{{Name: "controller", Image: "kluctl"}}},
	}
	if _, err := e.cs.CoreV1().Pods(e.ns).Create(ctx, pod, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	if err := e.c.ServeContainerLogs(ctx, e.ns, pod.Name, "controller", logPath); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() {
		done <- controller.Run(ctx, e.c.RESTConfig(), controller.RunOptions{
			Options:        controller.Options{Name: "kluctl-controller", Namespace: "kluctl-system", Concurrency: 4, WriteResults: true},
			WatchNamespace: e.ns, MetricsAddr: "0", ProbeAddr: "0",
			Logger: controllercmd.NewLogger(simcluster.NewContainerLogWriter(logFile)),
		})
	}()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("controller: %v", err)
			}
		case <-time.After(30 * time.Second):
			t.Error("the controller did not stop")
		}
	})
}

// kd creates a KluctlDeployment of the demo for target, deployed once and
// then only on request (interval 1h).
func (e *env) kd(name, target string, mutate ...func(*v1beta1.KluctlDeployment)) {
	kd := kluctltest.DemoKD(e.ns, name, e.git.URL("demo"), target)
	kd.Spec.Interval.Duration = time.Hour
	for _, m := range mutate {
		m(kd)
	}
	if err := e.cl.Create(context.Background(), kd); err != nil {
		e.t.Fatal(err)
	}
}

func (e *env) get(name string) *v1beta1.KluctlDeployment {
	e.t.Helper()
	return kluctltest.GetKD(e.t, e.cl, e.ns, name)
}

// waitFor polls until cond holds for the KluctlDeployment name.
func (e *env) waitFor(name, what string, timeout time.Duration, cond func(*v1beta1.KluctlDeployment) bool) *v1beta1.KluctlDeployment {
	e.t.Helper()
	return kluctltest.WaitForKD(e.t, e.cl, e.ns, name, what, timeout, cond)
}

func isReady(kd *v1beta1.KluctlDeployment) bool {
	c := meta.FindStatusCondition(kd.Status.Conditions, v1beta1.ReadyCondition)
	return c != nil && c.Status == metav1.ConditionTrue && c.ObservedGeneration == kd.Generation
}

// kluctl runs the CLI against the cluster and fails the test on an error.
func (e *env) kluctl(args ...string) kluctltest.Result {
	e.t.Helper()
	res := kluctltest.Run(e.t, []string{"KUBECONFIG=" + e.c.KubeconfigPath()}, args...)
	if res.Code != 0 {
		e.t.Fatalf("kluctl %s: exit %d\n%s", strings.Join(args, " "), res.Code, res.Stderr)
	}
	return res
}

var availableRE = regexp.MustCompile(`Webui is available at: (\S+)`)

// webui runs `kluctl webui run` with args in the background until the
// test ends and returns its URL.
func (e *env) webui(args ...string) (string, *kluctltest.SyncBuffer) {
	e.t.Helper()
	return e.webuiWithEnv(nil, args...)
}

// webuiWithEnv is webui with extra environment variables.
func (e *env) webuiWithEnv(extraEnv []string, args ...string) (string, *kluctltest.SyncBuffer) {
	t := e.t
	t.Helper()
	log := &kluctltest.SyncBuffer{}
	streams := &iostreams.IOStreams{In: strings.NewReader(""), Out: log, ErrOut: log}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan int, 1)
	full := append([]string{"webui", "run", "--kubeconfig", e.c.KubeconfigPath(), "--host", "127.0.0.1", "--port", "0"}, args...)
	go func() {
		done <- cli.MainWithEnv(ctx, full, streams, cli.Env{Environ: append(os.Environ(), extraEnv...), ConfigDirs: []string{}})
	}()
	t.Cleanup(func() {
		cancel()
		select {
		case <-done:
		case <-time.After(30 * time.Second):
			t.Error("kluctl webui run did not stop")
		}
		if t.Failed() {
			t.Logf("webui log:\n%s", log.String())
		}
	})
	deadline := time.Now().Add(time.Minute)
	for {
		if m := availableRE.FindStringSubmatch(log.String()); m != nil {
			return m[1], log
		}
		select {
		case code := <-done:
			t.Fatalf("kluctl webui run exited with %d:\n%s", code, log.String())
		case <-time.After(100 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatalf("kluctl webui run did not start:\n%s", log.String())
		}
	}
}

// secret reads key of the Secret ns/name.
func (e *env) secret(name, key string, ns ...string) string {
	e.t.Helper()
	namespace := e.ns
	if len(ns) != 0 {
		namespace = ns[0]
	}
	s, err := e.cs.CoreV1().Secrets(namespace).Get(context.Background(), name, metav1.GetOptions{})
	if err != nil {
		e.t.Fatal(err)
	}
	v := string(s.Data[key])
	if v == "" {
		e.t.Fatalf("Secret %s has no %s", name, key)
	}
	return v
}

// get fetches url with the cookie and returns the status and body.
func httpGet(t *testing.T, url string, cookies ...*http.Cookie) (int, []byte) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range cookies {
		req.AddCookie(c)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var buf bytes.Buffer
	_, _ = buf.ReadFrom(resp.Body)
	return resp.StatusCode, buf.Bytes()
}

// screenshotDir is where the browser tests write their screenshots:
// $KLUCTL_SCREENSHOT_DIR, or bin/webui-screenshots of the repository.
func screenshotDir(t *testing.T) string {
	if d := os.Getenv("KLUCTL_SCREENSHOT_DIR"); d != "" {
		return d
	}
	abs, err := filepath.Abs(filepath.Join("..", "..", "bin", "webui-screenshots"))
	if err != nil {
		t.Fatal(err)
	}
	return abs
}
