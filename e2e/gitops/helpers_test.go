package gitops

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/go-logr/logr/funcr"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/kluctl-go/kluctl/api/v1beta1"
	"github.com/kluctl-go/kluctl/e2e/kluctltest"
	"github.com/kluctl-go/kluctl/internal/controller"
	"github.com/kluctl-go/kluctl/internal/gitserver"
	"github.com/kluctl-go/kluctl/internal/simcluster"
)

// env is the simulated cluster, a git server holding the demo and a
// running controller.
type env struct {
	t    *testing.T
	c    *simcluster.Cluster
	cs   kubernetes.Interface
	cl   client.Client
	git  *gitserver.Server
	ns   string
	cfg  *rest.Config
	stop func()
}

const (
	gitUser, gitPassword = "deployer", "git-s3cret-pw"
	demoPath             = kluctltest.DemoPath
)

func newEnv(t *testing.T) *env {
	t.Helper()
	c := simcluster.Current(t)
	cfg := c.RESTConfig()
	cc := kluctltest.NewControllerClients(t, cfg)
	srv := kluctltest.DemoGitServer(t, gitUser, gitPassword, "demo")
	e := &env{t: t, c: c, cs: cc.CS, cl: cc.CL, git: srv, ns: c.NewNamespace(t)}
	kluctltest.CreateCredentialsSecret(t, cc.CS, e.ns, "git-credentials", gitUser, gitPassword)
	e.cfg = cfg
	e.startController()
	t.Cleanup(e.stopController)
	t.Cleanup(func() {
		if t.Failed() {
			e.logUnreadyPods()
		}
	})
	return e
}

// logUnreadyPods logs the pods of the demo's namespaces that are not
// ready, with their conditions and PVCs, to tell why a target did not
// become ready.
func (e *env) logUnreadyPods() {
	ctx := context.Background()
	pods, err := e.cs.CoreV1().Pods("").List(ctx, metav1.ListOptions{})
	if err != nil {
		e.t.Logf("list pods: %v", err)
		return
	}
	for _, p := range pods.Items {
		if !strings.HasPrefix(p.Namespace, "ms-demo-") {
			continue
		}
		ready := false
		for _, c := range p.Status.Conditions {
			ready = ready || (c.Type == corev1.PodReady && c.Status == corev1.ConditionTrue)
		}
		if !ready {
			e.t.Logf("pod %s/%s not ready: phase %s, node %q, conditions %+v", p.Namespace, p.Name, p.Status.Phase, p.Spec.NodeName, p.Status.Conditions)
		}
	}
	if sts, err := e.cs.AppsV1().StatefulSets("").List(ctx, metav1.ListOptions{}); err == nil {
		for _, s := range sts.Items {
			if strings.HasPrefix(s.Namespace, "ms-demo-") && s.Status.ReadyReplicas != s.Status.Replicas {
				e.t.Logf("StatefulSet %s/%s: status %+v", s.Namespace, s.Name, s.Status)
			}
		}
	}
	pvcs, err := e.cs.CoreV1().PersistentVolumeClaims("").List(ctx, metav1.ListOptions{})
	if err == nil {
		for _, c := range pvcs.Items {
			if c.Status.Phase != corev1.ClaimBound {
				e.t.Logf("PVC %s/%s is %s", c.Namespace, c.Name, c.Status.Phase)
			}
		}
	}
}

// startController runs a controller for the test's namespace in-process.
func (e *env) startController() {
	t := e.t
	logger := funcr.NewJSON(func(obj string) {
		if strings.Contains(obj, gitPassword) {
			t.Errorf("the controller logged the git password: %s", obj)
		}
		t.Log(obj)
	}, funcr.Options{})
	e.stop = e.runController(controller.RunOptions{
		Options: controller.Options{
			Name: "kluctl-controller", Namespace: "kluctl-system", Concurrency: 4, WriteResults: true,
		},
		WatchNamespace: e.ns, MetricsAddr: "0", ProbeAddr: "0", Logger: logger,
	})
}

// runController runs a controller in-process until the returned stop is
// called.
func (e *env) runController(opts controller.RunOptions) func() {
	t := e.t
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- controller.Run(ctx, e.cfg, opts) }()
	return func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("controller: %v", err)
			}
		case <-time.After(30 * time.Second):
			t.Error("the controller did not stop")
		}
	}
}

// stopController stops the running controller, as a killed pod would:
// whatever it was doing is cancelled.
func (e *env) stopController() {
	if e.stop != nil {
		e.stop()
		e.stop = nil
	}
}

// kd returns a KluctlDeployment of the demo for target.
func (e *env) kd(name, target string, mutate func(*v1beta1.KluctlDeployment)) *v1beta1.KluctlDeployment {
	kd := kluctltest.DemoKD(e.ns, name, e.git.URL("demo"), target)
	kd.Spec.Interval.Duration = 5 * time.Second
	kd.Spec.Validate = true
	if mutate != nil {
		mutate(kd)
	}
	if err := e.cl.Create(context.Background(), kd); err != nil {
		e.t.Fatal(err)
	}
	return kd
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

func readyStatus(kd *v1beta1.KluctlDeployment) (metav1.ConditionStatus, string) {
	c := meta.FindStatusCondition(kd.Status.Conditions, v1beta1.ReadyCondition)
	if c == nil {
		return "", ""
	}
	return c.Status, c.Message
}

func isReady(kd *v1beta1.KluctlDeployment) bool {
	s, _ := readyStatus(kd)
	return s == metav1.ConditionTrue
}

// waitAvailable waits until every Deployment in ns is Available.
func (e *env) waitAvailable(ns string, want int) {
	e.t.Helper()
	deadline := time.Now().Add(3 * time.Minute)
	for {
		l, err := e.cs.AppsV1().Deployments(ns).List(context.Background(), metav1.ListOptions{})
		if err != nil {
			e.t.Fatal(err)
		}
		ready := 0
		for _, d := range l.Items {
			for _, c := range d.Status.Conditions {
				if c.Type == appsv1.DeploymentAvailable && c.Status == corev1.ConditionTrue {
					ready++
				}
			}
		}
		if ready >= want && ready == len(l.Items) {
			return
		}
		if time.Now().After(deadline) {
			e.t.Fatalf("%d of %d Deployments in %s available, want %d", ready, len(l.Items), ns, want)
		}
		time.Sleep(time.Second)
	}
}

func (e *env) patch(name string, mutate func(*v1beta1.KluctlDeployment)) {
	e.t.Helper()
	kd := e.get(name)
	p := client.MergeFrom(kd.DeepCopy())
	mutate(kd)
	if err := e.cl.Patch(context.Background(), kd, p); err != nil {
		e.t.Fatal(err)
	}
}

func summaryOf(kd *v1beta1.KluctlDeployment) map[string]any {
	if kd.Status.LastDeployResult == nil {
		return nil
	}
	var m map[string]any
	_ = json.Unmarshal(kd.Status.LastDeployResult.Raw, &m)
	return m
}

// deployedCommit is the commit of the last finished deploy. Unlike
// status.observedCommit, which a running reconcile reports as soon as it has
// checked out, it changes only once that deploy is over.
func deployedCommit(kd *v1beta1.KluctlDeployment) string {
	gi, _ := summaryOf(kd)["gitInfo"].(map[string]any)
	c, _ := gi["commit"].(string)
	return c
}

func fmtStatus(kd *v1beta1.KluctlDeployment) string {
	s, m := readyStatus(kd)
	return fmt.Sprintf("%s %q", s, m)
}

func clientKey(ns, name string) types.NamespacedName {
	return types.NamespacedName{Namespace: ns, Name: name}
}

func metav1GetOptions() metav1.GetOptions { return metav1.GetOptions{} }

func readFile(p string) ([]byte, error) { return os.ReadFile(p) }

func findCondition(kd *v1beta1.KluctlDeployment, typ string) *metav1.Condition {
	return meta.FindStatusCondition(kd.Status.Conditions, typ)
}
