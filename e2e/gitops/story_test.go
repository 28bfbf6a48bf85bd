package gitops

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/go-git/go-git/v5"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/kluctl-go/kluctl/api/v1beta1"
	"github.com/kluctl-go/kluctl/e2e/kluctltest"
)

const namespaceFile = demoPath + "/namespaces/namespace.yml"

// TestGitOpsStory deploys the demo from git through KluctlDeployments and
// checks that GitOps and the CLI agree, that pushed commits, drift, manual
// approval, suspension and deletion behave as with the original.
func TestGitOpsStory(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()

	e.kd("demo-test", "test", func(kd *v1beta1.KluctlDeployment) { kd.Spec.Prune = true })
	kd := e.waitFor("demo-test", "Ready", 4*time.Minute, func(kd *v1beta1.KluctlDeployment) bool {
		return isReady(kd) && kd.Status.ObservedCommit != ""
	})
	e.waitAvailable("ms-demo-test", 9)
	if kd.Status.TargetKey == nil || kd.Status.TargetKey.Discriminator != "kluctl-examples-microservices-demo-test" || kd.Status.LastObjectsHash == "" ||
		kd.Status.ProjectKey == nil || kd.Status.ProjectKey.SubDir != demoPath {
		t.Errorf("status keys: %+v %+v %q", kd.Status.TargetKey, kd.Status.ProjectKey, kd.Status.LastObjectsHash)
	}
	if !strings.Contains(fmtStatus(kd), "deploy succeeded") {
		t.Errorf("Ready message: %s", fmtStatus(kd))
	}

	// The CLI, on a checkout of the same commit, sees no difference.
	dir := t.TempDir()
	kluctltest.CopyDir(t, filepath.Join(kluctltest.SharedDir(t), "examples", "microservices-demo"), filepath.Join(dir, "microservices-demo"))
	if _, err := git.PlainInit(dir, false); err != nil {
		t.Fatal(err)
	}
	res := kluctltest.Run(t, []string{"KUBECONFIG=" + e.c.KubeconfigPath()}, "diff", "--project-dir", filepath.Join(dir, demoPath), "-t", "test", "--context", e.c.Context(), "-o", "json")
	if res.Code != 0 {
		t.Fatalf("CLI diff: exit %d\n%s", res.Code, res.Stderr)
	}
	d := kluctltest.DecodeResult(t, res.Stdout)
	if len(d.NewObjects)+len(d.ChangedObjects)+len(d.OrphanObjects)+len(d.DeletedObjects) != 0 {
		t.Errorf("the CLI sees differences after the GitOps deploy: new %v changed %v orphans %v", d.NewObjects, len(d.ChangedObjects), d.OrphanObjects)
	}

	// A pushed commit is deployed within an interval.
	nsYAML, err := os.ReadFile(filepath.Join(dir, namespaceFile))
	if err != nil {
		t.Fatal(err)
	}
	pushed := strings.Replace(string(nsYAML), "metadata:\n", "metadata:\n  labels:\n    pushed: \"1\"\n", 1)
	commit, err := e.git.Commit("demo", "main", map[string][]byte{namespaceFile: []byte(pushed)}, "label the namespace")
	if err != nil {
		t.Fatal(err)
	}
	e.waitFor("demo-test", "the pushed commit deployed", time.Minute, func(kd *v1beta1.KluctlDeployment) bool {
		return deployedCommit(kd) == commit && isReady(kd)
	})
	ns, err := e.cs.CoreV1().Namespaces().Get(ctx, "ms-demo-test", metav1.GetOptions{})
	if err != nil || ns.Labels["pushed"] != "1" {
		t.Fatalf("the pushed label is not on the namespace: %v %v", ns.Labels, err)
	}

	// Drift: an edit of a deployed object shows up.
	fe, err := e.cs.AppsV1().Deployments("ms-demo-test").Get(ctx, "frontend", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	fe.Spec.Template.Spec.Containers[0].Image = "example.com/drifted:1"
	if _, err := e.cs.AppsV1().Deployments("ms-demo-test").Update(ctx, fe, metav1.UpdateOptions{FieldManager: "kubectl-edit"}); err != nil {
		t.Fatal(err)
	}
	e.waitFor("demo-test", "drift detected", time.Minute, func(kd *v1beta1.KluctlDeployment) bool {
		return strings.Contains(kd.Status.LastDriftDetectionResultMessage, "chg")
	})

	// A manual deployment of target prod waits for approval, beside test.
	e.kd("demo-prod", "prod", func(kd *v1beta1.KluctlDeployment) { kd.Spec.Manual = true; kd.Spec.Delete = true })
	e.waitFor("demo-prod", "the objects hash", 2*time.Minute, func(kd *v1beta1.KluctlDeployment) bool {
		return kd.Status.LastObjectsHash != "" && kd.Status.ObservedGeneration == kd.Generation
	})
	time.Sleep(3 * time.Second)
	prod := e.get("demo-prod")
	if prod.Status.LastDeployResult != nil {
		t.Fatalf("a manual deployment was deployed without approval: %v", summaryOf(prod))
	}
	if _, err := e.cs.CoreV1().Namespaces().Get(ctx, "ms-demo-prod", metav1.GetOptions{}); !apierrors.IsNotFound(err) {
		t.Fatalf("ms-demo-prod exists before the approval: %v", err)
	}
	hash := prod.Status.LastObjectsHash
	e.patch("demo-prod", func(kd *v1beta1.KluctlDeployment) { kd.Spec.ManualObjectsHash = &hash })
	e.waitFor("demo-prod", "approved deploy", 3*time.Minute, func(kd *v1beta1.KluctlDeployment) bool {
		return kd.Status.LastDeployResult != nil && isReady(kd)
	})
	if _, err := e.cs.CoreV1().Namespaces().Get(ctx, "ms-demo-prod", metav1.GetOptions{}); err != nil {
		t.Fatalf("ms-demo-prod missing after the approval: %v", err)
	}

	// Suspended deployments take no new commits; resumed ones do.
	e.patch("demo-test", func(kd *v1beta1.KluctlDeployment) { kd.Spec.Suspend = true })
	e.waitFor("demo-test", "suspension observed", time.Minute, func(kd *v1beta1.KluctlDeployment) bool {
		return kd.Status.ObservedGeneration == kd.Generation
	})
	pushed2 := strings.Replace(pushed, "pushed: \"1\"", "pushed: \"2\"", 1)
	commit2, err := e.git.Commit("demo", "main", map[string][]byte{namespaceFile: []byte(pushed2)}, "label again")
	if err != nil {
		t.Fatal(err)
	}
	time.Sleep(8 * time.Second)
	if got := e.get("demo-test").Status.ObservedCommit; got == commit2 {
		t.Fatal("a suspended deployment took a new commit")
	}
	e.patch("demo-test", func(kd *v1beta1.KluctlDeployment) { kd.Spec.Suspend = false })
	e.waitFor("demo-test", "resumed deploy", time.Minute, func(kd *v1beta1.KluctlDeployment) bool {
		return kd.Status.ObservedCommit == commit2
	})

	// Deleting with delete: true removes the target's objects; without it
	// they stay.
	if err := e.cl.Delete(ctx, e.get("demo-prod")); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(2 * time.Minute)
	for {
		l, err := e.cs.AppsV1().Deployments("ms-demo-prod").List(ctx, metav1.ListOptions{})
		if err == nil && len(l.Items) == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("objects of the deleted prod deployment remain: %d", len(l.Items))
		}
		time.Sleep(time.Second)
	}
	if err := e.cl.Delete(ctx, e.get("demo-test")); err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := e.cs.CoreV1().Namespaces().Get(ctx, e.ns, metav1.GetOptions{}); err != nil {
			t.Fatal(err)
		}
		var kdErr error
		_, kdErr = e.cs.AppsV1().Deployments("ms-demo-test").Get(ctx, "frontend", metav1.GetOptions{})
		if kdErr != nil {
			t.Fatalf("delete: false must keep the objects: %v", kdErr)
		}
		if err := e.cl.Get(ctx, clientKey(e.ns, "demo-test"), &v1beta1.KluctlDeployment{}); apierrors.IsNotFound(err) {
			break
		}
		time.Sleep(500 * time.Millisecond)
	}
}
