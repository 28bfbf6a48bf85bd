package deploy

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// TestDemoDeployDiffPruneDelete is the story of the microservices demo on
// target local: deploy, redeploy without changes, change a var, remove an
// item and prune, then delete, never touching what belongs to others.
func TestDemoDeployDiffPruneDelete(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	dir := demoProject(t)

	// Make the frontend's replicas a var, so that a var change can be diffed.
	frontend := filepath.Join(dir, "services", "frontend", "deployment.yml")
	b, err := os.ReadFile(frontend)
	if err != nil {
		t.Fatal(err)
	}
	writeFile(t, frontend, strings.Replace(string(b), "spec:\n  selector:", "spec:\n  replicas: {{ frontend.replicas }}\n  selector:", 1))
	realVars := filepath.Join(dir, "vars", "real.yml")
	rb, _ := os.ReadFile(realVars)
	writeFile(t, realVars, string(rb)+"\nfrontend:\n  replicas: 1\n")
	varsFile := filepath.Join(dir, "vars", "local.yml")
	vb, _ := os.ReadFile(varsFile)
	writeFile(t, varsFile, string(vb)+"\nfrontend:\n  replicas: 1\n")

	// Another target of the same project lives in its own namespace and must
	// survive prune and delete of "local".
	other := e.mustJSON("deploy", "--project-dir", dir, "-t", "test", "--yes", "-I", "namespaces", "-I", "adservice", "--no-wait")
	if len(other.Errors) > 0 {
		t.Fatalf("deploy of target test: %v", other.Errors)
	}
	// A foreign tool's objects with the same names, without our labels.
	foreignNS := "foreign-tool"
	if _, err := e.cs.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: foreignNS}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.cs.CoreV1().Services(foreignNS).Create(ctx, &corev1.Service{
		ObjectMeta: metav1.ObjectMeta{Name: "frontend"},
		Spec:       corev1.ServiceSpec{Ports: []corev1.ServicePort{{Port: 80}}},
	}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}

	first := e.mustJSON("deploy", "--project-dir", dir, "-t", "local", "--yes")
	if len(first.Errors) > 0 {
		t.Fatalf("first deploy errors: %v", first.Errors)
	}
	if len(first.NewObjects) < 20 {
		t.Fatalf("first deploy created %d objects, want the whole demo", len(first.NewObjects))
	}
	e.waitDeploymentsAvailable("ms-demo-local", 9)

	second := e.mustJSON("deploy", "--project-dir", dir, "-t", "local", "--yes")
	if len(second.NewObjects)+len(second.ChangedObjects)+len(second.Errors) != 0 {
		t.Fatalf("second deploy should change nothing, got new=%v changed=%v errors=%v", second.NewObjects, refNames(second.ChangedObjects), second.Errors)
	}

	writeFile(t, varsFile, string(vb)+"\nfrontend:\n  replicas: 2\n")
	d := e.mustJSON("diff", "--project-dir", dir, "-t", "local")
	if len(d.NewObjects) != 0 || len(d.ChangedObjects) != 1 {
		t.Fatalf("diff after var change: new=%v changed=%v", d.NewObjects, refNames(d.ChangedObjects))
	}
	ch := d.ChangedObjects[0]
	if ch.Ref.Kind != "Deployment" || ch.Ref.Name != "frontend" || len(ch.Changes) != 1 || ch.Changes[0].JSONPath != "spec.replicas" {
		t.Fatalf("diff should show exactly frontend spec.replicas, got %+v", ch)
	}
	if !strings.Contains(ch.Changes[0].UnifiedDiff, "-1") || !strings.Contains(ch.Changes[0].UnifiedDiff, "+2") {
		t.Errorf("unified diff should show 1 -> 2: %q", ch.Changes[0].UnifiedDiff)
	}
	text := e.kluctl("diff", "--project-dir", dir, "-t", "local")
	if text.Code != 0 || !strings.Contains(text.Stdout, "frontend") || !strings.Contains(text.Stdout, "spec.replicas") {
		t.Errorf("text diff: exit %d\n%s\n%s", text.Code, text.Stdout, text.Stderr)
	}
	e.mustJSON("deploy", "--project-dir", dir, "-t", "local", "--yes")

	// Remove the adservice item: its objects become orphans.
	svcDeploy := filepath.Join(dir, "services", "deployment.yml")
	sb, _ := os.ReadFile(svcDeploy)
	writeFile(t, svcDeploy, strings.Replace(string(sb), "  - path: adservice\n", "", 1))
	d = e.mustJSON("diff", "--project-dir", dir, "-t", "local")
	orphans := map[string]bool{}
	for _, o := range d.OrphanObjects {
		orphans[o.Kind+"/"+o.Name] = true
	}
	if !orphans["Deployment/adservice"] || !orphans["Service/adservice"] || len(orphans) != 2 {
		t.Fatalf("orphans after removing adservice: %v", d.OrphanObjects)
	}
	noTTY := e.kluctl("prune", "--project-dir", dir, "-t", "local")
	if noTTY.Code == 0 || !strings.Contains(noTTY.Stderr, "--yes") {
		t.Errorf("prune without terminal and without --yes must refuse: exit %d, %s", noTTY.Code, noTTY.Stderr)
	}
	p := e.mustJSON("prune", "--project-dir", dir, "-t", "local", "--yes")
	if len(p.DeletedObjects) != 2 {
		t.Fatalf("prune deleted %v, want the two adservice objects", p.DeletedObjects)
	}
	if _, err := e.cs.AppsV1().Deployments("ms-demo-local").Get(ctx, "adservice", metav1.GetOptions{}); !apierrors.IsNotFound(err) {
		t.Errorf("adservice still exists after prune: %v", err)
	}
	if _, err := e.cs.AppsV1().Deployments("ms-demo-test").Get(ctx, "adservice", metav1.GetOptions{}); err != nil {
		t.Errorf("another target's adservice was touched by prune: %v", err)
	}

	del := e.mustJSON("delete", "--project-dir", dir, "-t", "local", "--yes")
	if len(del.DeletedObjects) < 20 {
		t.Fatalf("delete removed %d objects", len(del.DeletedObjects))
	}
	if _, err := e.cs.CoreV1().Services("ms-demo-local").Get(ctx, "frontend", metav1.GetOptions{}); err == nil {
		t.Errorf("frontend Service of target local still exists after delete")
	}
	if _, err := e.cs.CoreV1().Services(foreignNS).Get(ctx, "frontend", metav1.GetOptions{}); err != nil {
		t.Errorf("foreign tool's Service was touched: %v", err)
	}
	if _, err := e.cs.AppsV1().Deployments("ms-demo-test").Get(ctx, "adservice", metav1.GetOptions{}); err != nil {
		t.Errorf("another target's objects were deleted: %v", err)
	}
}
