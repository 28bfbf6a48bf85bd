package deploy_test

import (
	"strings"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/kluctl-go/kluctl/internal/deploy"
	"github.com/kluctl-go/kluctl/internal/k8s"
)

const hookJob = `
apiVersion: batch/v1
kind: Job
metadata:
  name: NAME
  namespace: NS
  annotations: {kluctl.io/hook: HOOK, kluctl.io/hook-weight: "WEIGHT", kluctl.io/hook-delete-policy: POLICY}
spec:
  backoffLimit: 0
  template:
    spec:
      restartPolicy: Never
      containers: [{name: c, image: busybox}]
`

func hook(name, hook, weight, policy string) string {
	return strings.NewReplacer("NAME", name, "HOOK", hook, "WEIGHT", weight, "POLICY", policy).Replace(hookJob)
}

func TestHooksRunInOrderAndComplete(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	disc := "d-" + e.ns
	docs := strings.Join([]string{
		hook("pre-second", "pre-deploy", "2", "before-hook-creation"),
		hook("pre-first", "pre-deploy", "1", "before-hook-creation"),
		hook("initial-only", "post-deploy-initial", "0", "hook-succeeded"),
		hook("upgrade-only", "post-deploy-upgrade", "0", "before-hook-creation"),
		"apiVersion: v1\nkind: ConfigMap\nmetadata: {name: app, namespace: NS}\ndata: {a: b}",
	}, "\n---\n")
	res := e.result(disc, e.objects(disc, docs))
	r, err := deploy.Deploy(e.ctx(), e.c, res, deploy.DefaultOptions())
	if err != nil {
		t.Fatalf("deploy: %v", err)
	}
	names := func(refs []k8s.ObjectRef) string {
		var s []string
		for _, r := range refs {
			s = append(s, r.Name)
		}
		return strings.Join(s, ",")
	}
	if got := names(r.AppliedHookObjects); got != "initial-only,pre-first,pre-second" {
		t.Errorf("applied hooks = %s", got)
	}
	first := e.get("batch/v1", "Job", e.ns, "pre-first")
	second := e.get("batch/v1", "Job", e.ns, "pre-second")
	done, _, _ := unstructured.NestedString(first.Object, "status", "completionTime")
	if done == "" {
		t.Fatal("pre-first did not complete")
	}
	doneAt, _ := time.Parse(time.RFC3339, done)
	if second.GetCreationTimestamp().Time.Before(doneAt) {
		t.Errorf("pre-second created at %v before pre-first completed at %v", second.GetCreationTimestamp(), doneAt)
	}
	if app := e.get("v1", "ConfigMap", e.ns, "app"); app.GetCreationTimestamp().Time.Before(doneAt) {
		t.Error("objects must be applied after the pre-deploy hooks")
	}
	if e.get("batch/v1", "Job", e.ns, "initial-only") != nil {
		t.Error("hook-succeeded hook must be deleted after success")
	}

	r, err = deploy.Deploy(e.ctx(), e.c, res, deploy.DefaultOptions())
	if err != nil {
		t.Fatalf("second deploy: %v", err)
	}
	if got := names(r.AppliedHookObjects); got != "pre-first,pre-second,upgrade-only" {
		t.Errorf("second deploy applied hooks = %s", got)
	}
}

func TestFailingHookFailsDeploy(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	disc := "d-" + e.ns
	// The job's pod can never be scheduled, so the job controller fails the
	// job when its deadline passes: a real Job failure.
	failing := strings.Replace(hook("migrate", "pre-deploy", "0", "before-hook-creation"),
		"  backoffLimit: 0\n", "  backoffLimit: 0\n  activeDeadlineSeconds: 2\n", 1)
	failing = strings.Replace(failing, "      restartPolicy: Never\n", "      restartPolicy: Never\n      nodeSelector: {no-such-node: \"true\"}\n", 1)
	res := e.result(disc, e.objects(disc, failing+"\n---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: app, namespace: NS}"))
	r, err := deploy.Deploy(e.ctx(), e.c, res, deploy.DefaultOptions())
	if err == nil {
		t.Fatal("want the deploy to fail")
	}
	// One error about the failed hook Job, one naming the object that was
	// therefore not applied.
	byName := map[string]string{}
	for _, m := range r.Errors {
		byName[m.Ref.Name] = m.Message
	}
	if msg := byName["migrate"]; len(r.Errors) != 2 || !strings.Contains(msg, "DeadlineExceeded") && !strings.Contains(msg, "deadline") {
		t.Errorf("want an error about the failed hook job, got %+v", r.Errors)
	}
	if msg := byName["app"]; !strings.Contains(msg, "not applied: a pre-deploy hook of its deployment item failed") {
		t.Errorf("want the ConfigMap named as not applied, got %+v", r.Errors)
	}
	if e.get("v1", "ConfigMap", e.ns, "app") != nil {
		t.Error("objects after a failed pre-deploy hook must not be applied")
	}
}
