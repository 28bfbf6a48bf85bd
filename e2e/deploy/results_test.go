package deploy

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/go-git/go-git/v5"
	gitconfig "github.com/go-git/go-git/v5/config"
	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/tools/clientcmd"
	sigsyaml "sigs.k8s.io/yaml"

	"github.com/kluctl-go/kluctl/e2e/kluctltest"
	"github.com/kluctl-go/kluctl/internal/k8s"
	"github.com/kluctl-go/kluctl/internal/result"
	"github.com/kluctl-go/kluctl/internal/results"
)

// resultRun is one CLI run with its printed document and text summary.
type resultRun struct {
	code    int
	stderr  string
	doc     *result.CommandResult
	summary map[string]int // the counts of the text output's summary line
}

var summaryLine = regexp.MustCompile(`Summary[^:]*: (\d+) new, (\d+) changed, (\d+) deleted, (\d+) orphan, (\d+) hooks, (\d+) warnings, (\d+) errors`)

// runWithResult runs a command with -o text and -o yaml to files.
func (e *env) runWithResult(args ...string) resultRun {
	e.t.Helper()
	dir := e.t.TempDir()
	text, doc := filepath.Join(dir, "out.txt"), filepath.Join(dir, "out.yaml")
	res := e.kluctl(append(args, "-o", "text="+text, "-o", "yaml="+doc)...)
	out := resultRun{code: res.Code, stderr: res.Stderr}
	yb, err := os.ReadFile(doc)
	if err != nil {
		e.t.Fatalf("kluctl %s wrote no yaml result (exit %d): %v\n%s", strings.Join(args, " "), res.Code, err, res.Stderr)
	}
	out.doc = kluctltest.DecodeDocument(e.t, string(yb))
	tb, _ := os.ReadFile(text)
	m := summaryLine.FindStringSubmatch(string(tb))
	if m == nil {
		e.t.Fatalf("no summary line in the text output:\n%s", tb)
	}
	out.summary = map[string]int{}
	for i, k := range []string{"new", "changed", "deleted", "orphan", "hooks", "warnings", "errors"} {
		out.summary[k], _ = strconv.Atoi(m[i+1])
	}
	return out
}

func (e *env) resultStore(opts results.Options) *results.Store {
	c, err := k8s.NewClients(e.c.RESTConfig())
	if err != nil {
		e.t.Fatal(err)
	}
	return results.New(c, opts)
}

// normalized is v as generic JSON, for comparing documents.
func normalized(t *testing.T, v any) any {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	var out any
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatal(err)
	}
	return out
}

// checkStored verifies that the printed document of r is what the store
// holds, that the Secret has the original's layout and that the summary
// agrees with the text output.
func (e *env) checkStored(st *results.Store, r resultRun) {
	e.t.Helper()
	ctx := context.Background()
	stored, err := st.GetCommandResult(ctx, r.doc.ID, false)
	if err != nil {
		e.t.Fatalf("result %s (%s) not stored: %v\n%s", r.doc.ID, r.doc.Command.Command, err, r.stderr)
	}
	if d := cmp.Diff(normalized(e.t, r.doc), normalized(e.t, stored)); d != "" {
		e.t.Errorf("stored %s result differs from -o yaml (-printed +stored):\n%s", r.doc.Command.Command, d)
	}
	l, err := e.cs.CoreV1().Secrets(results.DefaultNamespace).List(ctx, metav1.ListOptions{LabelSelector: results.LabelCommandResultID + "=" + r.doc.ID})
	if err != nil || len(l.Items) != 1 {
		e.t.Fatalf("want one Secret for result %s: %v %d", r.doc.ID, err, len(l.Items))
	}
	sec := l.Items[0]
	if sec.Labels[results.LabelResult] != "true" || !strings.HasPrefix(sec.Name, "cr-results-demo-") {
		e.t.Errorf("result Secret %s labels %v", sec.Name, sec.Labels)
	}
	if sec.Annotations[results.AnnotationProjectRepoKey] != "git://example.com/org/results-demo" || sec.Annotations[results.AnnotationProjectSubDir] != "microservices-demo/3-templating-and-multi-env" {
		e.t.Errorf("project annotations %v", sec.Annotations)
	}
	for _, k := range []string{results.KeyReducedResult, results.KeyCompactedObjects} {
		if b := sec.Data[k]; len(b) < 2 || b[0] != 0x1f || b[1] != 0x8b {
			e.t.Errorf("data %s is not gzip", k)
		}
	}
	var sum result.CommandResultSummary
	if err := json.Unmarshal([]byte(sec.Annotations[results.AnnotationCommandResultSummary]), &sum); err != nil {
		e.t.Fatalf("summary annotation: %v", err)
	}
	got := map[string]int{"new": sum.NewObjects, "changed": sum.ChangedObjects, "deleted": sum.DeletedObjects,
		"orphan": sum.OrphanObjects, "hooks": sum.AppliedHookObjects, "warnings": len(sum.Warnings), "errors": len(sum.Errors)}
	if d := cmp.Diff(r.summary, got); d != "" {
		e.t.Errorf("%s: summary counts differ from the text output (-text +summary):\n%s", r.doc.Command.Command, d)
	}
}

// countResults counts the stored command results of the project's target.
func countResults(t *testing.T, st *results.Store, doc *result.CommandResult) []result.CommandResultSummary {
	t.Helper()
	l, err := st.ListCommandResultSummaries(context.Background(), results.Filter{Project: &doc.ProjectKey, Target: &doc.TargetKey})
	if err != nil {
		t.Fatal(err)
	}
	return l
}

// TestCommandResultsStory deploys the demo twice, changes a var, diffs,
// prunes and deletes; every command leaves its result in the cluster as
// -o yaml printed it, old results are cleaned up, and summaries agree with
// the text output.
func TestCommandResultsStory(t *testing.T) {
	e := newEnv(t)
	dir := demoProject(t)
	repo, err := git.PlainOpen(filepath.Join(dir, "..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := repo.CreateRemote(&gitconfig.RemoteConfig{Name: "origin", URLs: []string{"https://Example.com/Org/Results-Demo.git"}}); err != nil {
		t.Fatal(err)
	}
	frontend := filepath.Join(dir, "services", "frontend", "deployment.yml")
	b, _ := os.ReadFile(frontend)
	writeFile(t, frontend, strings.Replace(string(b), "spec:\n  selector:", "spec:\n  replicas: {{ frontend.replicas }}\n  selector:", 1))
	varsFile := filepath.Join(dir, "vars", "local.yml")
	vb, _ := os.ReadFile(varsFile)
	writeFile(t, varsFile, string(vb)+"\nfrontend:\n  replicas: 1\n")
	base := []string{"--project-dir", dir, "-t", "local", "-T", "results-demo"}
	st := e.resultStore(results.Options{})
	args := func(cmd string, extra ...string) []string { return append(append([]string{cmd}, base...), extra...) }

	first := e.runWithResult(args("deploy", "--yes", "--no-wait")...)
	if first.code != 0 || first.summary["new"] < 20 {
		t.Fatalf("first deploy: exit %d, %v\n%s", first.code, first.summary, first.stderr)
	}
	e.checkStored(st, first)
	d := first.doc
	if d.Command.Command != "deploy" || d.Command.Initiator != result.InitiatorCommandLine || d.TargetKey.TargetName != "results-demo" ||
		d.TargetKey.ClusterID == "" || d.ClusterInfo.ClusterID != d.TargetKey.ClusterID || d.ProjectKey.RepoKey != "git://example.com/org/results-demo" ||
		d.GitInfo.URL == nil || d.Deployment == nil || d.RenderedObjectsHash == "" || !d.Command.NoWait {
		t.Errorf("document header: %+v", normalized(t, d.Compacted()))
	}
	for _, o := range d.Objects {
		if o.Rendered == nil || o.Applied == nil || !o.New {
			t.Errorf("first deploy object %s: rendered %v applied %v new %v", o.Ref, o.Rendered != nil, o.Applied != nil, o.New)
		}
	}

	second := e.runWithResult(args("deploy", "--yes", "--no-wait")...)
	if second.code != 0 || second.summary["new"]+second.summary["changed"] != 0 {
		t.Fatalf("second deploy: exit %d, %v", second.code, second.summary)
	}
	e.checkStored(st, second)
	for _, o := range second.doc.Objects {
		if o.Remote == nil {
			t.Errorf("second deploy object %s has no remote body", o.Ref)
		}
	}

	before := len(countResults(t, st, first.doc))
	dry := e.runWithResult(args("deploy", "--yes", "--dry-run")...)
	diffRun := e.runWithResult(args("diff")...)
	if n := len(countResults(t, st, first.doc)); n != before || dry.code != 0 || diffRun.code != 0 {
		t.Fatalf("a dry-run deploy and a diff must not store results without --force-write-command-result: %d -> %d", before, n)
	}

	writeFile(t, varsFile, string(vb)+"\nfrontend:\n  replicas: 2\n")
	diffRun = e.runWithResult(args("diff", "--force-write-command-result")...)
	if diffRun.summary["changed"] != 1 || !diffRun.doc.Command.DryRun || diffRun.doc.Command.Command != "diff" {
		t.Fatalf("diff after the var change: %v dryRun=%v", diffRun.summary, diffRun.doc.Command.DryRun)
	}
	e.checkStored(st, diffRun)
	var changed *result.ResultObject
	for i, o := range diffRun.doc.Objects {
		if len(o.Changes) != 0 {
			changed = &diffRun.doc.Objects[i]
		}
	}
	if changed == nil || changed.Ref.Name != "frontend" || changed.Changes[0].JSONPath != "spec.replicas" ||
		fmt.Sprint(changed.Changes[0].OldValue) != "1" || fmt.Sprint(changed.Changes[0].NewValue) != "2" {
		t.Errorf("diff change: %+v", changed)
	}

	svcDeploy := filepath.Join(dir, "services", "deployment.yml")
	sb, _ := os.ReadFile(svcDeploy)
	writeFile(t, svcDeploy, strings.Replace(string(sb), "  - path: adservice\n", "", 1))
	prune := e.runWithResult(args("prune", "--yes")...)
	if prune.code != 0 || prune.summary["deleted"] != 2 || prune.summary["orphan"] != 0 {
		t.Fatalf("prune: exit %d %v\n%s", prune.code, prune.summary, prune.stderr)
	}
	e.checkStored(st, prune)

	del := e.runWithResult(args("delete", "--yes", "--keep-command-results-count", "3")...)
	if del.code != 0 || del.summary["deleted"] < 20 {
		t.Fatalf("delete: exit %d %v\n%s", del.code, del.summary, del.stderr)
	}
	e.checkStored(st, del)
	kept := countResults(t, st, del.doc)
	if len(kept) != 3 || kept[0].ID != del.doc.ID || kept[1].ID != prune.doc.ID || kept[2].ID != diffRun.doc.ID {
		var ids []string
		for _, s := range kept {
			ids = append(ids, s.Command.Command+"/"+s.ID)
		}
		t.Errorf("after delete with keep 3: kept %v, want delete, prune, diff", ids)
	}
	if _, err := st.GetCommandResult(context.Background(), first.doc.ID, true); err == nil {
		t.Errorf("the first deploy's result should have been cleaned up")
	}

	// Validate results are kept per target too (2 by default); validate of
	// a deleted target fails but still leaves its result.
	var vids []string
	for i := 0; i < 3; i++ {
		res := e.kluctl(append(args("validate"), "-o", "yaml")...)
		var v result.ValidateDocument
		if err := json.Unmarshal(yamlToJSON(t, res.Stdout), &v); err != nil || v.ID == "" || v.Ready {
			t.Fatalf("validate result: %v\n%s\n%s", err, res.Stdout, res.Stderr)
		}
		vids = append(vids, v.ID)
	}
	vl, err := st.ListValidateResultSummaries(context.Background(), results.Filter{Project: &del.doc.ProjectKey, Target: &del.doc.TargetKey})
	if err != nil || len(vl) != 2 || vl[0].ID != vids[2] || vl[1].ID != vids[1] || vl[0].Errors == 0 {
		t.Errorf("validate results kept: %+v (%v), want the last two of %v", vl, err, vids)
	}
	stored, err := st.GetValidateResult(context.Background(), vids[2])
	if err != nil || stored.Ready || len(stored.Errors) == 0 {
		t.Errorf("stored validate result: %+v %v", stored, err)
	}
}

func yamlToJSON(t *testing.T, s string) []byte {
	t.Helper()
	b, err := sigsyaml.YAMLToJSON([]byte(s))
	if err != nil {
		t.Fatalf("yaml: %v\n%s", err, s)
	}
	return b
}

// TestCommandResultWithoutPermission deploys as a user that may deploy
// but not write results: the deploy succeeds with a warning.
func TestCommandResultWithoutPermission(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	ns := e.c.NewNamespace(t)
	user := "results-restricted-" + ns
	if _, err := e.cs.RbacV1().ClusterRoles().Create(ctx, &rbacv1.ClusterRole{
		ObjectMeta: metav1.ObjectMeta{Name: user},
		Rules:      []rbacv1.PolicyRule{{APIGroups: []string{"*"}, Resources: []string{"*"}, Verbs: []string{"get", "list", "watch"}}},
	}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.cs.RbacV1().ClusterRoleBindings().Create(ctx, &rbacv1.ClusterRoleBinding{
		ObjectMeta: metav1.ObjectMeta{Name: user},
		RoleRef:    rbacv1.RoleRef{APIGroup: "rbac.authorization.k8s.io", Kind: "ClusterRole", Name: user},
		Subjects:   []rbacv1.Subject{{Kind: "User", Name: user}},
	}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.cs.RbacV1().Roles(ns).Create(ctx, &rbacv1.Role{
		ObjectMeta: metav1.ObjectMeta{Name: "deployer"},
		Rules:      []rbacv1.PolicyRule{{APIGroups: []string{""}, Resources: []string{"configmaps"}, Verbs: []string{"*"}}},
	}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.cs.RbacV1().RoleBindings(ns).Create(ctx, &rbacv1.RoleBinding{
		ObjectMeta: metav1.ObjectMeta{Name: "deployer"},
		RoleRef:    rbacv1.RoleRef{APIGroup: "rbac.authorization.k8s.io", Kind: "Role", Name: "deployer"},
		Subjects:   []rbacv1.Subject{{Kind: "User", Name: user}},
	}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	// Make sure the results namespace exists, so that the write itself is
	// refused (and not only the namespace creation).
	if _, err := e.cs.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: results.DefaultNamespace}}, metav1.CreateOptions{}); err != nil && !strings.Contains(err.Error(), "already exists") {
		t.Fatal(err)
	}
	cfg, err := clientcmd.LoadFromFile(e.c.KubeconfigPath())
	if err != nil {
		t.Fatal(err)
	}
	for _, ai := range cfg.AuthInfos {
		ai.Impersonate = user
	}
	kubeconfig := filepath.Join(t.TempDir(), "kubeconfig")
	if err := clientcmd.WriteToFile(*cfg, kubeconfig); err != nil {
		t.Fatal(err)
	}
	dir := kluctltest.WriteProject(t, map[string]string{
		".kluctl.yaml":      "discriminator: results-rbac-" + ns + "\n",
		"deployment.yaml":   "deployments:\n- path: cm\n",
		"cm/configmap.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm\n  namespace: " + ns + "\ndata:\n  a: b\n",
	})
	before, err := e.cs.CoreV1().Secrets(results.DefaultNamespace).List(ctx, metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	res := kluctltest.Run(t, nil, "deploy", "--yes", "--project-dir", dir, "--kubeconfig", kubeconfig, "--context", e.c.Context())
	if res.Code != 0 {
		t.Fatalf("deploy without result permission failed: exit %d\n%s\n%s", res.Code, res.Stdout, res.Stderr)
	}
	if !strings.Contains(res.Stderr, "Warning: the command result was not stored") || !strings.Contains(res.Stderr, "permission") {
		t.Errorf("want a warning about the result store, stderr:\n%s", res.Stderr)
	}
	if _, err := e.cs.CoreV1().ConfigMaps(ns).Get(ctx, "cm", metav1.GetOptions{}); err != nil {
		t.Errorf("the deploy did not apply the ConfigMap: %v", err)
	}
	after, err := e.cs.CoreV1().Secrets(results.DefaultNamespace).List(ctx, metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(after.Items) != len(before.Items) {
		t.Errorf("a result was stored although the user may not write Secrets there")
	}
}
