package gitops

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/kluctl-go/kluctl/api/v1beta1"
	"github.com/kluctl-go/kluctl/internal/chartserver"
	"github.com/kluctl-go/kluctl/internal/k8s"
	"github.com/kluctl-go/kluctl/internal/results"
)

// TestChartsWithCredentials: a project with a chart from a private chart
// repository and one from a private OCI registry, neither pre-pulled,
// deploys with spec.credentials.helm and spec.credentials.oci; the
// passwords appear nowhere in the status.
func TestChartsWithCredentials(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	const user, password = "chartuser", "chart-registry-pw"
	chart := func(name, version string) []byte {
		b, err := chartserver.BuildChart(name, version, version, map[string]string{
			"templates/cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: " + name + "\ndata:\n  version: {{ .Chart.Version | quote }}\n",
		})
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	repo, err := chartserver.StartRepo(chartserver.RepoOptions{User: user, Password: password})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = repo.Close() })
	if err := repo.Add("stable", chart("from-repo", "1.2.3")); err != nil {
		t.Fatal(err)
	}
	reg, err := chartserver.StartRegistry(chartserver.RegistryOptions{User: user, Password: password})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = reg.Close() })
	t.Setenv("DOCKER_CONFIG", t.TempDir())
	if _, err := reg.PushChart("charts/from-oci", chart("from-oci", "0.4.0"), ""); err != nil {
		t.Fatal(err)
	}
	files := map[string][]byte{
		".kluctl.yaml":    []byte("targets:\n  - name: test\n"),
		"deployment.yaml": []byte("deployments:\n  - path: repo\n  - path: oci\n"),
		"repo/helm-chart.yaml": fmt.Appendf(nil, "helmChart:\n  repo: %s\n  chartName: from-repo\n  chartVersion: 1.2.3\n  releaseName: from-repo\n  namespace: %s\n",
			repo.URL("stable"), e.ns),
		"oci/helm-chart.yaml": fmt.Appendf(nil, "helmChart:\n  repo: %s\n  chartVersion: 0.4.0\n  releaseName: from-oci\n  namespace: %s\n",
			reg.URL("charts/from-oci"), e.ns),
	}
	if _, err := e.git.Commit("charts", "main", files, "charts"); err != nil {
		t.Fatal(err)
	}
	for name, data := range map[string]map[string]string{
		"helm-creds": {"username": user, "password": password},
		"oci-creds":  {"username": user, "password": password, "plainHttp": "true"},
	} {
		if _, err := e.cs.CoreV1().Secrets(e.ns).Create(ctx, &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: name}, StringData: data}, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	repoHost := strings.SplitN(repo.URL("x"), "/", 4)[2]
	e.kd("charts", "test", func(kd *v1beta1.KluctlDeployment) {
		kd.Spec.Source.Git = &v1beta1.ProjectSourceGit{URL: e.git.URL("charts"), Ref: &v1beta1.GitRef{Branch: "main"}}
		kd.Spec.Credentials.Helm = []v1beta1.ProjectCredentialsHelm{{Host: repoHost, Path: "stable", SecretRef: v1beta1.LocalObjectReference{Name: "helm-creds"}}}
		kd.Spec.Credentials.Oci = []v1beta1.ProjectCredentialsOci{{Registry: reg.Host(), Repository: "charts/*", SecretRef: v1beta1.LocalObjectReference{Name: "oci-creds"}}}
	})
	kd := e.waitFor("charts", "both charts deployed", 2*time.Minute, isReady)
	for name, version := range map[string]string{"from-repo": "1.2.3", "from-oci": "0.4.0"} {
		cm, err := e.cs.CoreV1().ConfigMaps(e.ns).Get(ctx, name, metav1.GetOptions{})
		if err != nil {
			t.Fatalf("ConfigMap %s: %v", name, err)
		}
		if cm.Data["version"] != version {
			t.Errorf("%s: version %q, want %s", name, cm.Data["version"], version)
		}
	}
	b, _ := json.Marshal(kd.Status)
	if strings.Contains(string(b), password) {
		t.Errorf("the password appears in the status")
	}
	// Nor in any stored command result.
	clients, err := k8s.NewClients(e.cfg)
	if err != nil {
		t.Fatal(err)
	}
	store := results.New(clients, results.Options{})
	sums, err := store.ListCommandResultSummaries(ctx, results.Filter{})
	if err != nil || len(sums) == 0 {
		t.Fatalf("stored results: %d, %v", len(sums), err)
	}
	for _, s := range sums {
		cr, err := store.GetCommandResult(ctx, s.ID, false)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := json.Marshal(cr)
		if strings.Contains(string(b), password) {
			t.Errorf("the password appears in result %s", s.ID)
		}
	}

	// Without the OCI credentials the deployment fails, naming the chart.
	e.kd("no-oci-creds", "test", func(kd *v1beta1.KluctlDeployment) {
		kd.Spec.Source.Git = &v1beta1.ProjectSourceGit{URL: e.git.URL("charts"), Ref: &v1beta1.GitRef{Branch: "main"}}
		kd.Spec.Credentials.Helm = []v1beta1.ProjectCredentialsHelm{{Host: repoHost, SecretRef: v1beta1.LocalObjectReference{Name: "helm-creds"}}}
	})
	kd = e.waitFor("no-oci-creds", "failing without the registry's credentials", 2*time.Minute, func(kd *v1beta1.KluctlDeployment) bool {
		c := findCondition(kd, "Ready")
		return c != nil && c.Status == metav1.ConditionFalse && strings.Contains(c.Message, "from-oci")
	})
	if c := findCondition(kd, "Ready"); strings.Contains(c.Message, password) {
		t.Errorf("the password appears in the condition: %s", c.Message)
	}
}
