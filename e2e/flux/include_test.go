package flux

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/kluctl-go/kluctl/api/v1alpha1"
	"github.com/kluctl-go/kluctl/e2e/kluctltest"
)

// sharedBaseFiles is a base project below base/, writing the ConfigMap
// "included" with version into namespace ns.
func sharedBaseFiles(ns, version string) map[string][]byte {
	return map[string][]byte{
		"base/deployment.yaml": []byte("deployments:\n  - path: cm\n"),
		"base/cm/configmap.yaml": fmt.Appendf(nil,
			"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: included\n  namespace: %s\ndata:\n  version: %s\n", ns, version),
	}
}

// TestFluxGitIncludeUsesSourceCredentials: a project from a Flux
// GitRepository includes a private repository of the same git server; the
// controller fetches it with the GitRepository's credentials (as the
// original re-used them), deploys it, and follows a commit pushed to the
// included repository. The password never shows in the status.
func TestFluxGitIncludeUsesSourceCredentials(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	if _, err := e.git.Commit("shared-base", "main", sharedBaseFiles(e.ns, "one"), "base"); err != nil {
		t.Fatal(err)
	}
	files := map[string][]byte{
		"includer/.kluctl.yaml":    []byte("targets:\n  - name: test\n    context: default\n"),
		"includer/deployment.yaml": fmt.Appendf(nil, "deployments:\n  - git:\n      url: %s\n      ref:\n        branch: main\n      subDir: base\n", e.git.URL("shared-base")),
	}
	if _, err := e.git.Commit("includer", "main", files, "includer"); err != nil {
		t.Fatal(err)
	}
	e.gitRepository("includer")
	e.apply(`apiVersion: flux.kluctl.io/v1alpha1
kind: KluctlDeployment
metadata:
  name: includer
spec:
  interval: 3s
  retryInterval: 3s
  path: ./includer
  sourceRef:
    kind: GitRepository
    name: includer
  timeout: 2m
  target: test
`)
	version := func() string {
		cm, err := e.cs.CoreV1().ConfigMaps(e.ns).Get(ctx, "included", metav1.GetOptions{})
		if err != nil {
			return ""
		}
		return cm.Data["version"]
	}
	kd := e.waitFor("includer", "the included base deployed", 2*time.Minute, func(kd *v1alpha1.KluctlDeployment) bool {
		return isReady(kd) && version() == "one"
	})
	b, _ := json.Marshal(kd.Status)
	if strings.Contains(string(b), gitPassword) {
		t.Errorf("the git password appears in the status")
	}

	if _, err := e.git.Commit("shared-base", "main", sharedBaseFiles(e.ns, "two"), "base two"); err != nil {
		t.Fatal(err)
	}
	e.waitFor("includer", "the included base's new commit deployed", 2*time.Minute, func(kd *v1alpha1.KluctlDeployment) bool {
		return version() == "two"
	})

	// The same repository under another host name: the source's
	// credentials are not sent there, so the include fails cleanly.
	other := strings.Replace(e.git.URL("shared-base"), "127.0.0.1", "localhost", 1)
	files = map[string][]byte{
		"other/.kluctl.yaml":    []byte("targets:\n  - name: test\n    context: default\n"),
		"other/deployment.yaml": fmt.Appendf(nil, "deployments:\n  - git:\n      url: %s\n      subDir: base\n", other),
	}
	if _, err := e.git.Commit("includer", "main", files, "other host"); err != nil {
		t.Fatal(err)
	}
	e.apply(`apiVersion: flux.kluctl.io/v1alpha1
kind: KluctlDeployment
metadata:
  name: other-host
spec:
  interval: 1m
  retryInterval: 3s
  path: ./other
  sourceRef:
    kind: GitRepository
    name: includer
  timeout: 2m
  target: test
`)
	kd = e.waitFor("other-host", "the include on another host failing", 2*time.Minute, func(kd *v1alpha1.KluctlDeployment) bool {
		s, _, msg := ready(kd)
		return s == metav1.ConditionFalse && strings.Contains(msg, "authentication required")
	})
	if _, reason, msg := ready(kd); reason != v1alpha1.PrepareFailedReason || !strings.Contains(msg, "deployments[0].git") {
		t.Errorf("Ready: %s: %s; want PrepareFailed naming the include", reason, msg)
	}
	// The gotk_* metrics cover flux.kluctl.io objects too.
	if got := kluctltest.GotkReady(t, "includer", e.ns); got != "True" {
		t.Errorf("gotk_reconcile_condition of includer: %q, want True", got)
	}
	if got := kluctltest.GotkReady(t, "other-host", e.ns); got != "False" {
		t.Errorf("gotk_reconcile_condition of other-host: %q, want False", got)
	}
}
