package gitops

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/kluctl-go/kluctl/api/v1beta1"
)

// TestGitIncludeWithCredentials: a project includes a shared base from a
// second private repository; spec.credentials.git serves both the source
// and the include. Credentials limited to the source's path leave the
// include without them, which fails cleanly naming the include.
func TestGitIncludeWithCredentials(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	base := map[string][]byte{
		"base/deployment.yaml": []byte("deployments:\n  - path: cm\n"),
		"base/cm/configmap.yaml": fmt.Appendf(nil,
			"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: included\n  namespace: %s\ndata:\n  from: shared-base\n", e.ns),
	}
	if _, err := e.git.Commit("shared-base", "main", base, "base"); err != nil {
		t.Fatal(err)
	}
	project := map[string][]byte{
		".kluctl.yaml":    []byte("targets:\n  - name: test\n"),
		"deployment.yaml": fmt.Appendf(nil, "deployments:\n  - git:\n      url: %s\n      ref:\n        tag: v1\n      subDir: base\n", e.git.URL("shared-base")),
	}
	commit, err := e.git.Commit("includer", "main", project, "includer")
	if err != nil {
		t.Fatal(err)
	}
	baseCommit, err := e.git.Commit("shared-base", "main", base, "again")
	if err != nil {
		t.Fatal(err)
	}
	if err := e.git.Tag("shared-base", "v1", baseCommit); err != nil {
		t.Fatal(err)
	}
	source := func(kd *v1beta1.KluctlDeployment) {
		kd.Spec.Source.Git = &v1beta1.ProjectSourceGit{URL: e.git.URL("includer"), Ref: &v1beta1.GitRef{Branch: "main"}}
	}
	e.kd("includer", "test", source)
	e.waitFor("includer", "deployed with the include", 2*time.Minute, func(kd *v1beta1.KluctlDeployment) bool {
		return isReady(kd) && deployedCommit(kd) == commit
	})
	if _, err := e.cs.CoreV1().ConfigMaps(e.ns).Get(ctx, "included", metav1.GetOptions{}); err != nil {
		t.Fatalf("the included base's ConfigMap: %v", err)
	}

	e.kd("source-only", "test", func(kd *v1beta1.KluctlDeployment) {
		source(kd)
		kd.Spec.Credentials.Git[0].Path = "includer*"
	})
	kd := e.waitFor("source-only", "the include failing without credentials", 2*time.Minute, func(kd *v1beta1.KluctlDeployment) bool {
		s, _ := readyStatus(kd)
		c := findCondition(kd, "Ready")
		return s == metav1.ConditionFalse && c != nil && strings.Contains(c.Message, "authentication required")
	})
	if c := findCondition(kd, "Ready"); !strings.Contains(c.Message, "deployments[0].git") || strings.Contains(c.Message, gitPassword) {
		t.Errorf("Ready message: %s; want the include named and no password", c.Message)
	}
}
