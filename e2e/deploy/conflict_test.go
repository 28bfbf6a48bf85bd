package deploy

import (
	"context"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

	"github.com/kluctl-go/kluctl/e2e/kluctltest"
)

// TestConflictWithAnotherManagerThroughCLI: a field owned by another field
// manager is left to it with a warning; --force-apply takes it over.
func TestConflictWithAnotherManagerThroughCLI(t *testing.T) {
	e := newEnv(t)
	ns := e.c.NewNamespace(t)
	dir := kluctltest.WriteProject(t, map[string]string{
		".kluctl.yaml":    "discriminator: conflict-{{ target.name }}\ntargets:\n  - name: t\n",
		"deployment.yaml": "deployments:\n  - path: app\n",
		"app/cm.yaml":     "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: shared\n  namespace: " + ns + "\ndata:\n  mine: kluctl\n  theirs: from-kluctl\n",
	})
	e.mustJSON("deploy", "--project-dir", dir, "-t", "t", "--yes")

	// Another controller takes over data.theirs with a forced apply.
	patch := `{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"shared"},"data":{"theirs":"from-operator"}}`
	force := true
	if _, err := e.cs.CoreV1().ConfigMaps(ns).Patch(context.Background(), "shared", types.ApplyPatchType, []byte(patch),
		metav1.PatchOptions{FieldManager: "some-operator", Force: &force}); err != nil {
		t.Fatal(err)
	}
	r := e.mustJSON("deploy", "--project-dir", dir, "-t", "t", "--yes")
	var warned bool
	for _, w := range r.Warnings {
		if strings.Contains(w.Message, "lost field ownership") && strings.Contains(w.Message, "theirs") {
			warned = true
		}
	}
	if !warned {
		t.Errorf("want a 'lost field ownership' warning for data.theirs, got %v", r.Warnings)
	}
	if v := e.cmValue(ns, "shared", "theirs"); v != "from-operator" {
		t.Errorf("data.theirs = %q, the other manager's value must stay", v)
	}
	e.mustJSON("deploy", "--project-dir", dir, "-t", "t", "--yes", "--force-apply")
	if v := e.cmValue(ns, "shared", "theirs"); v != "from-kluctl" {
		t.Errorf("data.theirs = %q after --force-apply, want from-kluctl", v)
	}
}

func (e *env) cmValue(ns, name, key string) string {
	e.t.Helper()
	var cm *corev1.ConfigMap
	cm, err := e.cs.CoreV1().ConfigMaps(ns).Get(context.Background(), name, metav1.GetOptions{})
	if err != nil {
		e.t.Fatal(err)
	}
	return cm.Data[key]
}
