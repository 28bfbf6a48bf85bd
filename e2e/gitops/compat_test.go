package gitops

import (
	"context"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/go-logr/logr/funcr"
	coordinationv1 "k8s.io/api/coordination/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/kluctl-go/kluctl/api/v1beta1"
	"github.com/kluctl-go/kluctl/internal/controller"
)

// TestGitOpsDeprecatedFlatSource: the deprecated spec.source.url/ref/path
// with spec.source.secretRef, as older manifests have them, deploys like
// spec.source.git.
func TestGitOpsDeprecatedFlatSource(t *testing.T) {
	e := newEnv(t)
	commit := e.smallProject(e.ns, "flat")
	url := e.git.URL("small")
	e.smallKD("flat", func(kd *v1beta1.KluctlDeployment) {
		kd.Spec.Source = v1beta1.ProjectSource{
			URL:       &url,
			Ref:       &v1beta1.GitRef{Branch: "main"},
			SecretRef: &v1beta1.LocalObjectReference{Name: "git-credentials"},
		}
		kd.Spec.Credentials = v1beta1.ProjectCredentials{}
	})
	e.waitFor("flat", "a deploy from the flat source", 2*time.Minute, func(kd *v1beta1.KluctlDeployment) bool {
		return isReady(kd) && deployedCommit(kd) == commit
	})
	cm, err := e.cs.CoreV1().ConfigMaps(e.ns).Get(context.Background(), "small", metav1.GetOptions{})
	if err != nil || cm.Data["value"] != "flat" {
		t.Fatalf("the ConfigMap from the flat source: %v %v", cm, err)
	}
}

// TestGitOpsLeaderElection: of two controllers with --leader-elect, only
// the lease holder reconciles; when it stops, the other takes over.
func TestGitOpsLeaderElection(t *testing.T) {
	e := newEnv(t)
	e.stopController()
	var counts [2]atomic.Int64
	var stops [2]func()
	for i := range stops {
		stops[i] = e.startElected(&counts[i])
	}
	t.Cleanup(func() {
		for _, s := range stops {
			if s != nil {
				s()
			}
		}
	})
	e.smallProject(e.ns, "v1")
	e.smallKD("elected", nil)
	e.waitFor("elected", "Ready", 2*time.Minute, isReady)
	time.Sleep(5 * time.Second) // a few more 2s intervals
	leader := 0
	if counts[1].Load() != 0 {
		leader = 1
	}
	if counts[1-leader].Load() != 0 {
		t.Fatalf("both controllers reconciled (%d and %d)", counts[0].Load(), counts[1].Load())
	}
	var lease coordinationv1.Lease
	if err := e.cl.Get(context.Background(), clientKey(e.ns, controller.LeaderElectionID), &lease); err != nil {
		t.Fatalf("the leader's lease: %v", err)
	}
	if lease.Spec.HolderIdentity == nil || *lease.Spec.HolderIdentity == "" {
		t.Fatalf("the lease has no holder: %+v", lease.Spec)
	}

	stops[leader]()
	stops[leader] = nil
	commit := e.smallProject(e.ns, "v2")
	e.waitFor("elected", "the new leader deploying v2", 2*time.Minute, func(kd *v1beta1.KluctlDeployment) bool {
		return isReady(kd) && deployedCommit(kd) == commit
	})
	// Status shows the commit from the reconcile's first write on; its
	// log line follows when it finishes.
	for end := time.Now().Add(time.Minute); counts[1-leader].Load() == 0; time.Sleep(100 * time.Millisecond) {
		if time.Now().After(end) {
			t.Fatal("v2 was deployed, but the remaining controller finished no reconcile")
		}
	}
}

// startElected runs a controller with leader election (its lease in the
// test namespace) that counts its finished reconciles; it returns its stop.
func (e *env) startElected(reconciles *atomic.Int64) func() {
	logger := funcr.NewJSON(func(obj string) {
		if strings.Contains(obj, "Reconciliation finished") || strings.Contains(obj, "Reconciliation failed") {
			reconciles.Add(1)
		}
	}, funcr.Options{})
	return e.runController(controller.RunOptions{
		Options:        controller.Options{Name: "kluctl-controller", Namespace: e.ns, Concurrency: 2},
		WatchNamespace: e.ns, MetricsAddr: "0", ProbeAddr: "0", LeaderElect: true, Logger: logger,
	})
}

// TestGitOpsDynamicTarget: a gitops.kluctl.io KluctlDeployment deploys a
// target that a refPattern expands from the source's branches.
func TestGitOpsDynamicTarget(t *testing.T) {
	e := newEnv(t)
	if _, err := e.git.Commit("dyn", "main", map[string][]byte{
		".kluctl.yaml":    []byte("discriminator: dyn-{{ target.name }}-" + e.ns + "\ntargets:\n  - name: \"{{ target.targetConfig.ref }}\"\n    context: default\n    targetConfig:\n      refPattern: review-.*\n"),
		"deployment.yaml": []byte("deployments:\n  - path: cm\n"),
		"cm/cm.yaml":      []byte("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm-{{ target.name }}\n  namespace: " + e.ns + "\n"),
	}, "dynamic"); err != nil {
		t.Fatal(err)
	}
	if _, err := e.git.Commit("dyn", "review-x", map[string][]byte{"target-config.yml": []byte("args: {}\n")}, "open review-x"); err != nil {
		t.Fatal(err)
	}
	e.kd("dyn", "review-x", func(kd *v1beta1.KluctlDeployment) {
		kd.Spec.Source.Git.URL = e.git.URL("dyn")
		kd.Spec.Source.Git.Path = ""
		kd.Spec.Validate = false
	})
	e.waitFor("dyn", "the dynamic target deployed", 2*time.Minute, isReady)
	if _, err := e.cs.CoreV1().ConfigMaps(e.ns).Get(context.Background(), "cm-review-x", metav1.GetOptions{}); err != nil {
		t.Fatalf("the dynamic target's ConfigMap: %v", err)
	}
}
