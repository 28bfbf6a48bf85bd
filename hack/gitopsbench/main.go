// Command gitopsbench measures the GitOps controller at scale (make bench):
// N KluctlDeployments of one small project (one repository, 5 objects each,
// distinct targetNameOverride and args) on the simulated cluster, with the
// controller running as the built binary. It reports the time until all
// are Ready, the reconciles per second afterwards and the controller's
// peak memory, next to the anchor: Flux reconciles 1000 Kustomizations in
// 4m16s with 175 MiB.
package main

import (
	"bufio"
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/kluctl-go/kluctl/api/v1beta1"
	"github.com/kluctl-go/kluctl/internal/controller"
	"github.com/kluctl-go/kluctl/internal/gitserver"
	"github.com/kluctl-go/kluctl/internal/k8s"
	"github.com/kluctl-go/kluctl/internal/simcluster"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Stdout, os.Stderr)
	stop()
	if err != nil {
		fmt.Fprintf(os.Stderr, "gitopsbench: %v\n", err)
		os.Exit(1)
	}
}

const project = `discriminator: bench-{{ target.name }}
targets:
  - name: t
    context: default
`

const objects = `{% for i in range(5) %}
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: {{ target.name }}-{{ i }}
  namespace: gitops-bench
data:
  owner: "{{ args.owner }}"
{% endfor %}
`

func run(ctx context.Context, out, logs io.Writer) error {
	var n, concurrency int
	var kluctlBin string
	var window time.Duration
	flag.IntVar(&n, "deployments", 1000, "KluctlDeployments to create")
	flag.IntVar(&concurrency, "concurrency", 8, "controller --concurrency")
	flag.StringVar(&kluctlBin, "kluctl", "bin/kluctl", "the kluctl binary")
	flag.DurationVar(&window, "window", 10*time.Minute, "how long the requested reconciles may take after all are Ready")
	var pprofAddr, logFile string
	var writeResults bool
	flag.BoolVar(&writeResults, "write-results", true, "let the controller store command results (its default)")
	flag.StringVar(&pprofAddr, "pprof", "", "serve the controller's pprof on this address")
	flag.StringVar(&logFile, "log", "", "copy the controller's logs to this file")
	flag.Parse()

	work, err := os.MkdirTemp("", "kluctl-gitopsbench-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(work)
	fmt.Fprintln(logs, "gitopsbench: starting the simulated cluster")
	c, err := simcluster.Start(ctx, simcluster.Options{Nodes: 1, Progress: logs})
	if err != nil {
		return err
	}
	defer c.Stop()
	clients, err := k8s.NewClients(c.RESTConfig())
	if err != nil {
		return err
	}
	if err := controller.ApplyCRDs(ctx, clients, "gitopsbench"); err != nil {
		return err
	}
	srv, err := gitserver.Start(work+"/git", gitserver.Options{})
	if err != nil {
		return err
	}
	defer srv.Close()
	if err := os.MkdirAll(work+"/git", 0o755); err != nil {
		return err
	}
	if _, err := srv.Commit("bench", "main", map[string][]byte{
		".kluctl.yaml": []byte(project), "deployment.yaml": []byte("deployments:\n  - path: cms\n"), "cms/cms.yaml": []byte(objects),
	}, "bench"); err != nil {
		return err
	}
	scheme, err := controller.Scheme()
	if err != nil {
		return err
	}
	cl, err := client.New(c.RESTConfig(), client.Options{Scheme: scheme})
	if err != nil {
		return err
	}
	if _, err := clients.Dynamic.Resource(nsGVR).Create(ctx, nsObject("gitops-bench"), metav1.CreateOptions{}); err != nil {
		return err
	}
	if _, err := clients.Dynamic.Resource(nsGVR).Create(ctx, nsObject("bench-kds"), metav1.CreateOptions{}); err != nil {
		return err
	}

	cmd := exec.CommandContext(ctx, kluctlBin, "controller", "run", "--kubeconfig", c.KubeconfigPath(), "--context", c.Context(),
		"--metrics-bind-address", "0", "--health-probe-bind-address", "0", "--concurrency", strconv.Itoa(concurrency),
		"--namespace", "bench-kds", "--write-command-result="+strconv.FormatBool(writeResults))
	if pprofAddr != "" {
		cmd.Args = append(cmd.Args, "--pprof-bind-address", pprofAddr)
	}
	var logCopy io.Writer = io.Discard
	if logFile != "" {
		f, err := os.Create(logFile)
		if err != nil {
			return err
		}
		defer f.Close()
		logCopy = f
	}
	cmd.Env = append(os.Environ(), "HOME="+work)
	stderr, err := cmd.StderrPipe()
	if err != nil {
		return err
	}
	if err := cmd.Start(); err != nil {
		return err
	}
	defer func() { _ = cmd.Process.Kill(); _ = cmd.Wait() }()
	go func() {
		sc := bufio.NewScanner(stderr)
		sc.Buffer(make([]byte, 1<<20), 1<<20)
		for sc.Scan() {
			fmt.Fprintln(logCopy, sc.Text())
		}
	}()
	var peak atomic.Int64
	go func() {
		for ctx.Err() == nil {
			if kb := vmHWM(cmd.Process.Pid); kb > peak.Load() {
				peak.Store(kb)
			}
			time.Sleep(200 * time.Millisecond)
		}
	}()

	fmt.Fprintf(logs, "gitopsbench: creating %d KluctlDeployments\n", n)
	start := time.Now()
	var wg sync.WaitGroup
	sem := make(chan struct{}, 16)
	var createErr atomic.Value
	for i := 0; i < n; i++ {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			name := fmt.Sprintf("kd-%04d", i)
			target := "t"
			ctxName := "default"
			kd := &v1beta1.KluctlDeployment{
				ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "bench-kds"},
				Spec: v1beta1.KluctlDeploymentSpec{
					Source:             v1beta1.ProjectSource{Git: &v1beta1.ProjectSourceGit{URL: srv.URL("bench"), Ref: &v1beta1.GitRef{Branch: "main"}}},
					Interval:           metav1.Duration{Duration: 5 * time.Minute},
					Target:             &target,
					TargetNameOverride: &name,
					Context:            &ctxName,
					Args:               &runtime.RawExtension{Raw: []byte(fmt.Sprintf(`{"owner":"team-%d"}`, i%10))},
					Validate:           true,
					DeployMode:         v1beta1.KluctlDeployModeFull,
				},
			}
			if err := cl.Create(ctx, kd); err != nil {
				createErr.Store(err)
			}
		}()
	}
	wg.Wait()
	if err, ok := createErr.Load().(error); ok {
		return err
	}
	fmt.Fprintf(logs, "gitopsbench: waiting for all to be Ready\n")
	var allReady time.Duration
	for {
		var l v1beta1.KluctlDeploymentList
		if err := cl.List(ctx, &l, client.InNamespace("bench-kds")); err != nil {
			return err
		}
		ready := 0
		for _, kd := range l.Items {
			if c := meta.FindStatusCondition(kd.Status.Conditions, v1beta1.ReadyCondition); c != nil && c.Status == metav1.ConditionTrue {
				ready++
			}
		}
		if ready == n {
			allReady = time.Since(start)
			break
		}
		if time.Since(start) > 20*time.Minute {
			return fmt.Errorf("only %d of %d Ready after 20 minutes", ready, n)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(time.Second):
		}
		fmt.Fprintf(logs, "\rgitopsbench: %d/%d Ready after %s", ready, n, time.Since(start).Round(time.Second))
	}
	fmt.Fprintln(logs)
	// Reconciles per second once everything is Ready: request a reconcile
	// of every KluctlDeployment (a full one: render, drift detection,
	// status) and time until the controller has finished all of them.
	value := time.Now().Format(time.RFC3339Nano)
	reqStart := time.Now()
	for i := 0; i < n; i++ {
		kd := &v1beta1.KluctlDeployment{ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprintf("kd-%04d", i), Namespace: "bench-kds"}}
		patch := client.RawPatch("application/merge-patch+json", []byte(`{"metadata":{"annotations":{"kluctl.io/request-reconcile":"`+value+`"}}}`))
		if err := cl.Patch(ctx, kd, patch); err != nil {
			return err
		}
	}
	var reqTime time.Duration
	for {
		var l v1beta1.KluctlDeploymentList
		if err := cl.List(ctx, &l, client.InNamespace("bench-kds")); err != nil {
			return err
		}
		done := 0
		for _, kd := range l.Items {
			if rr := kd.Status.ReconcileRequestResult; rr != nil && rr.Request.RequestValue == value && rr.EndTime != nil {
				done++
			}
		}
		if done == n {
			reqTime = time.Since(reqStart)
			break
		}
		if time.Since(reqStart) > window {
			return fmt.Errorf("only %d of %d reconcile requests done after %s", done, n, window)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(500 * time.Millisecond):
		}
	}
	rate := float64(n) / reqTime.Seconds()

	fmt.Fprintf(out, "\n%-40s %12s %12s\n", "GitOps controller", "kluctl", "anchor")
	fmt.Fprintf(out, "%-40s %10.1f s %10s\n", fmt.Sprintf("%d KluctlDeployments until all Ready", n), allReady.Seconds(), "256 s")
	fmt.Fprintf(out, "%-40s %10.1f/s %10s\n", fmt.Sprintf("reconciles per second afterwards (%d in %.1f s)", n, reqTime.Seconds()), rate, "-")
	fmt.Fprintf(out, "%-40s %9d MB %10s\n", "controller peak RSS", peak.Load()/1024, "175 MiB")
	fmt.Fprintf(out, "goal: under 120 s and under 150 MiB (anchor: Flux, 1000 Kustomizations)\n")
	return nil
}

// vmHWM is the peak resident memory of pid in KiB.
func vmHWM(pid int) int64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0
	}
	for _, l := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(l, "VmHWM:") {
			f := strings.Fields(l)
			if len(f) >= 2 {
				v, _ := strconv.ParseInt(f[1], 10, 64)
				return v
			}
		}
	}
	return 0
}
