package gitops

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/kluctl-go/kluctl/api/v1beta1"
	"github.com/kluctl-go/kluctl/e2e/kluctltest"
	"github.com/kluctl-go/kluctl/internal/cli"
	"github.com/kluctl-go/kluctl/internal/cli/controllercmd"
	"github.com/kluctl-go/kluctl/internal/controller"
	"github.com/kluctl-go/kluctl/internal/iostreams"
	"github.com/kluctl-go/kluctl/internal/simcluster"
)

// TestGitOpsLogs runs the controller with the logger of `kluctl controller
// run`, its output stored as the logs of a controller pod, and reads them
// back with `kluctl gitops logs` through the pod logs API: the lines of one
// KluctlDeployment, of one reconciliation, and a reconciliation followed
// while it happens.
func TestGitOpsLogs(t *testing.T) {
	e := newEnv(t)
	e.stopController()
	logPath := filepath.Join(t.TempDir(), "controller.log")
	logFile, err := os.Create(logPath)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = logFile.Close() })
	e.startControllerLogging(simcluster.NewContainerLogWriter(logFile))
	e.controllerPod("kluctl-controller-0", logPath)

	e.smallProject(e.ns, "1")
	for _, name := range []string{"logs-a", "logs-b"} {
		e.smallKD(name, func(kd *v1beta1.KluctlDeployment) {
			override := name
			kd.Spec.TargetNameOverride = &override
			kd.Spec.Interval.Duration = time.Hour
		})
	}
	for _, name := range []string{"logs-a", "logs-b"} {
		e.waitFor(name, "Ready", 2*time.Minute, isReady)
	}
	args := func(name string, extra ...string) []string {
		return append([]string{"gitops", "logs", "--name", name, "-n", e.ns, "--controller-namespace", e.ns, "--kubeconfig", e.c.KubeconfigPath()}, extra...)
	}

	// Following shows a reconciliation requested once the first lines
	// are there.
	var out, errOut kluctltest.SyncBuffer
	ctx, cancel := context.WithCancel(context.Background())
	followed := make(chan int, 1)
	go func() {
		followed <- cli.MainWithEnv(ctx, args("logs-a", "-f"), &iostreams.IOStreams{In: strings.NewReader(""), Out: &out, ErrOut: &errOut}, cliEnv())
	}()
	waitForText(t, &errOut, "Showing logs for "+e.ns+"/logs-a")
	if r := runLogs(context.Background(), "gitops", "reconcile", "--name", "logs-a", "-n", e.ns, "--kubeconfig", e.c.KubeconfigPath(), "--timeout", "2m"); r.code != 0 {
		t.Fatalf("gitops reconcile: exit %d\n%s", r.code, r.stderr)
	}
	requested := e.get("logs-a").Status.ReconcileRequestResult.ReconcileId
	waitForText(t, &errOut, "Showing logs for "+e.ns+"/logs-a and reconciliation ID "+requested)
	time.Sleep(2 * time.Second) // the rest of the reconciliation, past --log-grouping-time
	cancel()
	if code := <-followed; code != 0 {
		t.Fatalf("gitops logs -f: exit %d\n%s", code, errOut.String())
	}
	want := messages(t, logPath, func(l jsonLog) bool { return l.ReconcileID == requested })
	if len(want) == 0 || !strings.Contains(out.String(), strings.Join(want, "\n")+"\n") {
		t.Errorf("gitops logs -f does not show the requested reconciliation %s %q:\n%s", requested, want, out.String())
	}

	// With the controller stopped the logs are final: the lines of one
	// deployment, in order, and nothing else.
	e.stopController()
	isA := func(l jsonLog) bool { return l.Name == "logs-a" && l.Namespace == e.ns }
	want = messages(t, logPath, isA)
	if others := messages(t, logPath, func(l jsonLog) bool { return !isA(l) }); len(want) == 0 || len(others) == 0 {
		t.Fatalf("the controller log has %d lines of logs-a and %d others", len(want), len(others))
	}
	r := runLogs(context.Background(), args("logs-a", "--log-since", "1h")...)
	if r.code != 0 {
		t.Fatalf("gitops logs: exit %d\n%s", r.code, r.stderr)
	}
	if got := lines(r.stdout); strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("gitops logs --name logs-a printed\n%s\nwant\n%s", r.stdout, strings.Join(want, "\n"))
	}

	// --reconcile-id narrows them to one reconciliation; --log-time adds
	// the time of each line.
	r = runLogs(context.Background(), args("logs-a", "--log-since", "1h", "--reconcile-id", requested, "--log-time")...)
	if r.code != 0 {
		t.Fatalf("gitops logs --reconcile-id: exit %d\n%s", r.code, r.stderr)
	}
	want = messages(t, logPath, func(l jsonLog) bool { return isA(l) && l.ReconcileID == requested })
	stamp := regexp.MustCompile(`^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(Z|[+-]\d\d:\d\d): `)
	var got []string
	for _, l := range lines(r.stdout) {
		if !stamp.MatchString(l) {
			t.Errorf("line without time: %q", l)
		}
		got = append(got, stamp.ReplaceAllString(l, ""))
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("gitops logs --reconcile-id %s printed\n%s\nwant\n%s", requested, r.stdout, strings.Join(want, "\n"))
	}

	if r := runLogs(context.Background(), "gitops", "logs", "--controller-namespace", "no-controller-here", "--kubeconfig", e.c.KubeconfigPath()); r.code == 0 || !strings.Contains(r.stderr, "no kluctl-controller pods") {
		t.Errorf("gitops logs without controller pods: exit %d\n%s", r.code, r.stderr)
	}
}

// startControllerLogging runs a controller for the test's namespace
// in-process that logs as `kluctl controller run` does, to w.
func (e *env) startControllerLogging(w *simcluster.ContainerLogWriter) {
	e.stop = e.runController(controller.RunOptions{
		Options: controller.Options{
			Name: "kluctl-controller", Namespace: "kluctl-system", Concurrency: 4, WriteResults: true,
		},
		WatchNamespace: e.ns, MetricsAddr: "0", ProbeAddr: "0", Logger: controllercmd.NewLogger(w),
	})
}

// controllerPod creates a pod labelled like the controller's in the test's
// namespace whose container logs are the lines of logPath.
func (e *env) controllerPod(name, logPath string) {
	t := e.t
	ctx := context.Background()
	pod := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: e.ns, Labels: map[string]string{"control-plane": "kluctl-controller"}},
		Spec:       corev1.PodSpec{Containers: []corev1.Container{{Name: "controller", Image: "kluctl"}}},
	}
	if _, err := e.cs.CoreV1().Pods(e.ns).Create(ctx, pod, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	if err := e.c.ServeContainerLogs(ctx, e.ns, name, "controller", logPath); err != nil {
		t.Fatal(err)
	}
}

// logsRun is the outcome of one in-process CLI run.
type logsRun struct {
	code           int
	stdout, stderr string
}

// runLogs runs kluctl in-process until it ends or ctx is cancelled.
func runLogs(ctx context.Context, args ...string) logsRun {
	io, _, out, errOut := iostreams.Test()
	code := cli.MainWithEnv(ctx, args, io, cliEnv())
	return logsRun{code: code, stdout: out.String(), stderr: errOut.String()}
}

func cliEnv() cli.Env { return cli.Env{Environ: os.Environ(), ConfigDirs: []string{}} }

// waitForText waits until b holds text.
func waitForText(t *testing.T, b *kluctltest.SyncBuffer, text string) {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	for !strings.Contains(b.String(), text) {
		if time.Now().After(deadline) {
			t.Fatalf("%q did not show up in:\n%s", text, b.String())
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// jsonLog holds the keys of a controller log line the test checks.
type jsonLog struct {
	Msg         string `json:"msg"`
	Error       string `json:"error"`
	Name        string `json:"name"`
	Namespace   string `json:"namespace"`
	ReconcileID string `json:"reconcileID"`
}

// messages reads the container log file and returns the messages of the
// lines keep selects, as `kluctl gitops logs` prints them.
func messages(t *testing.T, path string, keep func(jsonLog) bool) []string {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(nil, 4<<20)
	for sc.Scan() {
		// <time> <stream> <tag> <line>
		parts := strings.SplitN(sc.Text(), " ", 4)
		if len(parts) != 4 {
			t.Fatalf("not a container log line: %q", sc.Text())
		}
		var l jsonLog
		if err := json.Unmarshal([]byte(parts[3]), &l); err != nil {
			t.Fatalf("not a JSON log line: %q: %v", parts[3], err)
		}
		if keep(l) {
			msg := l.Msg
			if l.Error != "" {
				msg += ": " + l.Error
			}
			out = append(out, msg)
		}
	}
	return out
}

func lines(s string) []string {
	return strings.Split(strings.TrimSuffix(s, "\n"), "\n")
}
