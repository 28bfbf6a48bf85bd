package gitops

import (
	"strings"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	ctrlmetrics "sigs.k8s.io/controller-runtime/pkg/metrics"
	"testing"
	"time"

	"github.com/kluctl-go/kluctl/api/v1beta1"
	"github.com/kluctl-go/kluctl/e2e/kluctltest"
)

// TestGitOpsCommands drives a KluctlDeployment with every `kluctl gitops`
// command and checks what the controller did and what the CLI printed.
func TestGitOpsCommands(t *testing.T) {
	e := newEnv(t)
	name := "cmds"
	e.kd(name, "test", func(kd *v1beta1.KluctlDeployment) {
		override := "cmds"
		kd.Spec.TargetNameOverride = &override
		kd.Spec.IncludeTags = []string{"namespaces", "frontend"}
		kd.Spec.Interval.Duration = time.Hour // only the commands (and validation) make it act
		kd.Spec.ValidateInterval = &v1beta1.SafeDuration{Duration: metav1.Duration{Duration: 3 * time.Second}}
	})
	e.waitFor(name, "Ready", 3*time.Minute, isReady)
	run := func(args ...string) kluctltest.Result {
		t.Helper()
		args = append(args, "--name", name, "-n", e.ns, "--kubeconfig", e.c.KubeconfigPath(), "--timeout", "2m")
		return kluctltest.Run(t, nil, append([]string{"gitops"}, args...)...)
	}

	if r := run("suspend"); r.Code != 0 || !e.get(name).Spec.Suspend {
		t.Fatalf("suspend: exit %d\n%s", r.Code, r.Stderr)
	}
	// Requests run while suspended.
	r := run("deploy", "-o", "yaml")
	if r.Code != 0 {
		t.Fatalf("gitops deploy: exit %d\n%s", r.Code, r.Stderr)
	}
	doc := kluctltest.DecodeDocument(t, r.Stdout)
	if doc.Command.Initiator != "KluctlDeployment" || doc.KluctlDeployment == nil || doc.KluctlDeployment.Name != name || doc.ReconcileID == "" {
		t.Errorf("gitops deploy result: initiator %q deployment %+v", doc.Command.Initiator, doc.KluctlDeployment)
	}
	kd := e.get(name)
	if kd.Status.DeployRequestResult == nil || kd.Status.DeployRequestResult.ResultId != doc.ID {
		t.Errorf("deployRequestResult: %+v", kd.Status.DeployRequestResult)
	}

	// Overrides apply to one request only: a dry-run deploy with another
	// tag does not change the cluster or the spec.
	r = run("deploy", "--dry-run", "-I", "adservice", "-o", "yaml")
	if r.Code != 0 {
		t.Fatalf("gitops deploy --dry-run: exit %d\n%s", r.Code, r.Stderr)
	}
	dry := kluctltest.DecodeDocument(t, r.Stdout)
	if !dry.Command.DryRun || len(dry.Command.IncludeTags) != 1 || dry.OverridesPatch == nil {
		t.Errorf("dry-run override: dryRun=%v tags=%v patch=%v", dry.Command.DryRun, dry.Command.IncludeTags, dry.OverridesPatch)
	}
	if _, err := e.cs.AppsV1().Deployments("ms-demo-cmds").Get(t.Context(), "adservice", metav1GetOptions()); err == nil {
		t.Error("a dry-run request created objects")
	}
	if e.get(name).Spec.DryRun {
		t.Error("a request's override was written into the spec")
	}

	if r := run("diff"); r.Code != 0 || !strings.Contains(r.Stdout, "Summary") {
		t.Errorf("gitops diff: exit %d\n%s\n%s", r.Code, r.Stdout, r.Stderr)
	}
	if r := run("validate"); r.Code != 0 || !strings.Contains(r.Stdout, "Validation succeeded") {
		t.Errorf("gitops validate: exit %d\n%s\n%s", r.Code, r.Stdout, r.Stderr)
	}
	if r := run("prune", "-o", "yaml"); r.Code != 0 {
		t.Errorf("gitops prune: exit %d\n%s", r.Code, r.Stderr)
	}
	if r := run("reconcile"); r.Code != 0 || e.get(name).Status.ReconcileRequestResult == nil {
		t.Errorf("gitops reconcile: exit %d\n%s", r.Code, r.Stderr)
	}
	if r := run("resume"); r.Code != 0 || e.get(name).Spec.Suspend {
		t.Errorf("resume: exit %d\n%s", r.Code, r.Stderr)
	}
	names := metricNames(t)
	for _, m := range []string{"kluctldeployments_last_object_status", "kluctldeployments_deployment_duration_seconds", "kluctldeployments_validate_duration_seconds",
		"kluctldeployments_number_of_changed_objects", "kluctldeployments_number_of_errors", "kluctldeployments_prune_enabled", "kluctldeployments_source_spec",
		"gotk_reconcile_condition", "gotk_suspend_status", "gotk_reconcile_duration_seconds"} {
		if !names[m] {
			t.Errorf("metric %s is not exported (have %v)", m, names)
		}
	}
	if v := kluctltest.GotkReady(t, name, e.ns); v != "True" {
		t.Errorf("gotk_reconcile_condition of %s: Ready is %q, want True", name, v)
	}
	if r := kluctltest.Run(t, nil, "gitops", "deploy", "--name", "does-not-exist", "-n", e.ns, "--kubeconfig", e.c.KubeconfigPath()); r.Code == 0 || !strings.Contains(r.Stderr, "does-not-exist") {
		t.Errorf("an unknown KluctlDeployment: exit %d\n%s", r.Code, r.Stderr)
	}
}

// metricNames lists the kluctldeployments_* and gotk_* metrics the process
// exports.
func metricNames(t *testing.T) map[string]bool {
	t.Helper()
	families, err := ctrlmetrics.Registry.Gather()
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]bool{}
	for _, f := range families {
		if (strings.HasPrefix(f.GetName(), "kluctldeployments_") || strings.HasPrefix(f.GetName(), "gotk_")) && len(f.GetMetric()) != 0 {
			out[f.GetName()] = true
		}
	}
	return out
}
