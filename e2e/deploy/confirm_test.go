package deploy

import (
	"context"
	"strings"
	"testing"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/kluctl-go/kluctl/e2e/kluctltest"
)

func confirmProject(t *testing.T, ns string) string {
	return kluctltest.WriteProject(t, map[string]string{
		".kluctl.yaml":    "discriminator: confirm-{{ target.name }}\ntargets:\n  - name: t\n",
		"deployment.yaml": "deployments:\n  - path: app\n",
		"app/cm.yaml":     "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: confirm\n  namespace: " + ns + "\ndata:\n  a: b\n",
	})
}

// TestDeployAsksBeforeChanging: without --yes, deploy shows the dry-run
// diff and asks; no terminal means refusal, "n" means nothing is applied,
// "y" applies.
func TestDeployAsksBeforeChanging(t *testing.T) {
	e := newEnv(t)
	ns := e.c.NewNamespace(t)
	dir := confirmProject(t, ns)
	args := []string{"deploy", "--project-dir", dir, "-t", "t", "--context", e.c.Context()}
	cmExists := func() bool {
		_, err := e.cs.CoreV1().ConfigMaps(ns).Get(context.Background(), "confirm", metav1.GetOptions{})
		if err != nil && !apierrors.IsNotFound(err) {
			t.Fatal(err)
		}
		return err == nil
	}

	res := kluctltest.Run(t, e.env, args...)
	if res.Code == 0 || !strings.Contains(res.Stderr, "--yes") {
		t.Fatalf("deploy without terminal and --yes must refuse: exit %d\n%s", res.Code, res.Stderr)
	}
	if cmExists() {
		t.Fatal("refused deploy applied the ConfigMap")
	}

	res = kluctltest.RunTTY(t, e.env, "n\n", args...)
	if res.Code == 0 || !strings.Contains(res.Stderr, "Do you really want to deploy") {
		t.Fatalf("answering no must abort: exit %d\n%s", res.Code, res.Stderr)
	}
	if !strings.Contains(res.Stderr, "confirm") {
		t.Errorf("the diff shown before the question should list the new ConfigMap:\n%s", res.Stderr)
	}
	if cmExists() {
		t.Fatal("aborted deploy applied the ConfigMap")
	}

	res = kluctltest.RunTTY(t, e.env, "y\n", args...)
	if res.Code != 0 {
		t.Fatalf("answering yes must deploy: exit %d\n%s", res.Code, res.Stderr)
	}
	if !cmExists() {
		t.Fatal("confirmed deploy did not apply the ConfigMap")
	}

	res = kluctltest.Run(t, e.env, "deploy", "--project-dir", dir, "-t", "t", "--context", e.c.Context(), "--bad-flag")
	if res.Code != 2 {
		t.Errorf("a bad flag should exit 2, got %d: %s", res.Code, res.Stderr)
	}
}
