package deploy

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/kluctl-go/kluctl/e2e/kluctltest"
	"github.com/kluctl-go/kluctl/internal/chartserver"
)

// TestDeployPullsChartsWithFlagCredentials: a deploy of a project whose
// chart was not pre-pulled pulls it from a private https repository with
// the --helm-* flags; no credential shows in the output.
func TestDeployPullsChartsWithFlagCredentials(t *testing.T) {
	e := newEnv(t)
	ns := e.c.NewNamespace(t)
	const user, password = "deployer", "deploy-chart-pw"
	tgz, err := chartserver.BuildChart("app", "3.1.4", "3.1.4", map[string]string{
		"templates/cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: charted\ndata:\n  version: {{ .Chart.Version | quote }}\n",
	})
	if err != nil {
		t.Fatal(err)
	}
	repo, err := chartserver.StartRepo(chartserver.RepoOptions{TLS: true, User: user, Password: password})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = repo.Close() })
	if err := repo.Add("private", tgz); err != nil {
		t.Fatal(err)
	}
	dir := kluctltest.WriteProject(t, map[string]string{
		".kluctl.yaml":           "targets:\n  - name: test\n",
		"deployment.yml":         "deployments:\n  - path: app\n",
		"app/helm-chart.yaml":    fmt.Sprintf("helmChart:\n  repo: %s\n  chartName: app\n  chartVersion: 3.1.4\n  releaseName: app\n  namespace: %s\n", repo.URL("private"), ns),
		"app/kustomization.yaml": "resources:\n  - helm-rendered.yaml\n",
	})
	host := strings.SplitN(repo.URL("x"), "/", 4)[2]
	e.env = append(e.env, "XDG_CACHE_HOME="+filepath.Join(t.TempDir(), "cache"))
	res := e.kluctl("deploy", "--project-dir", dir, "-t", "test", "--yes",
		"--helm-creds="+host+"/private="+user+":"+password, "--helm-ca-file="+host+"/private="+repo.CAFile())
	if res.Code != 0 {
		t.Fatalf("deploy: exit %d: %s", res.Code, res.Stderr)
	}
	cm, err := e.cs.CoreV1().ConfigMaps(ns).Get(context.Background(), "charted", metav1.GetOptions{})
	if err != nil || cm.Data["version"] != "3.1.4" {
		t.Fatalf("deployed ConfigMap: %v, %v", cm.Data, err)
	}
	if strings.Contains(res.Stdout+res.Stderr, password) {
		t.Errorf("the password appears in the output")
	}
}
