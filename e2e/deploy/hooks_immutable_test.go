package deploy

import (
	"context"
	"strings"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/kluctl-go/kluctl/e2e/kluctltest"
)

func job(name, ns, annotations, extraSpec, image string) string {
	return `apiVersion: batch/v1
kind: Job
metadata:
  name: ` + name + `
  namespace: ` + ns + `
  annotations:
` + annotations + `
spec:
  backoffLimit: 0
` + extraSpec + `  template:
    spec:
      restartPolicy: Never
      containers:
        - name: c
          image: ` + image + `
`
}

// TestHooksAndFailingHookThroughCLI: pre- and post-deploy hook Jobs run and
// complete around the item; a hook Job that fails fails the deploy.
func TestHooksAndFailingHookThroughCLI(t *testing.T) {
	e := newEnv(t)
	ns := e.c.NewNamespace(t)
	files := map[string]string{
		".kluctl.yaml":    "discriminator: hooks-{{ target.name }}\ntargets:\n  - name: t\n",
		"deployment.yaml": "deployments:\n  - path: app\n",
		"app/pre.yaml":    job("pre", ns, "    kluctl.io/hook: pre-deploy\n    kluctl.io/hook-weight: \"1\"\n", "", "busybox"),
		"app/post.yaml":   job("post", ns, "    kluctl.io/hook: post-deploy\n", "", "busybox"),
		"app/cm.yaml":     "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: main\n  namespace: " + ns + "\n",
	}
	dir := kluctltest.WriteProject(t, files)
	r := e.mustJSON("deploy", "--project-dir", dir, "-t", "t", "--yes")
	hooks := map[string]bool{}
	for _, h := range r.AppliedHookObjects {
		hooks[h.Name] = true
	}
	if !hooks["pre"] || !hooks["post"] {
		t.Fatalf("applied hooks = %v, want pre and post", r.AppliedHookObjects)
	}
	for _, name := range []string{"pre", "post"} {
		j, err := e.cs.BatchV1().Jobs(ns).Get(context.Background(), name, metav1.GetOptions{})
		if err != nil {
			t.Fatalf("hook job %s: %v", name, err)
		}
		if j.Status.Succeeded != 1 {
			t.Errorf("hook job %s did not complete: %+v", name, j.Status)
		}
	}

	// A hook whose pod can never be scheduled fails by its deadline.
	files["app/pre.yaml"] = job("pre-fails", ns, "    kluctl.io/hook: pre-deploy\n    kluctl.io/hook-timeout: 60s\n",
		"  activeDeadlineSeconds: 3\n", "busybox") + "      nodeSelector:\n        no-such-node: \"true\"\n"
	dir = kluctltest.WriteProject(t, files)
	res := e.kluctl("deploy", "--project-dir", dir, "-t", "t", "--yes")
	if res.Code == 0 {
		t.Fatalf("deploy with a failing hook succeeded:\n%s", res.Stdout)
	}
	if !strings.Contains(res.Stdout+res.Stderr, "pre-fails") {
		t.Errorf("the error should name the failing hook:\n%s\n%s", res.Stdout, res.Stderr)
	}
}

// TestImmutableFieldChangeThroughCLI: changing a Job's template fails with
// a clear error, and succeeds with --replace-on-error.
func TestImmutableFieldChangeThroughCLI(t *testing.T) {
	e := newEnv(t)
	ns := e.c.NewNamespace(t)
	files := map[string]string{
		".kluctl.yaml":    "discriminator: immutable-{{ target.name }}\ntargets:\n  - name: t\n",
		"deployment.yaml": "deployments:\n  - path: app\n",
		"app/job.yaml":    job("j", ns, "    example.com/x: y\n", "", "busybox:1"),
	}
	dir := kluctltest.WriteProject(t, files)
	e.mustJSON("deploy", "--project-dir", dir, "-t", "t", "--yes")
	files["app/job.yaml"] = job("j", ns, "    example.com/x: y\n", "", "busybox:2")
	dir = kluctltest.WriteProject(t, files)
	res := e.kluctl("deploy", "--project-dir", dir, "-t", "t", "--yes")
	if res.Code == 0 || !strings.Contains(res.Stdout+res.Stderr, "immutable") {
		t.Fatalf("immutable change must fail clearly: exit %d\n%s\n%s", res.Code, res.Stdout, res.Stderr)
	}
	e.mustJSON("deploy", "--project-dir", dir, "-t", "t", "--yes", "--replace-on-error")
	j, err := e.cs.BatchV1().Jobs(ns).Get(context.Background(), "j", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if img := j.Spec.Template.Spec.Containers[0].Image; img != "busybox:2" {
		t.Errorf("job image = %s after --replace-on-error, want busybox:2", img)
	}
}
