package gitops

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/kluctl-go/kluctl/api/v1beta1"
	"github.com/kluctl-go/kluctl/e2e/kluctltest"
	"github.com/kluctl-go/kluctl/internal/chartserver"
)

const ociUser, ociPassword = "oci-deployer", "oci-s3cret-pw"

// ociPush pushes the files as the project at url with `kluctl oci push`
// and returns the digest.
func ociPush(t *testing.T, reg *chartserver.Registry, url string, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for p, c := range files {
		full := filepath.Join(dir, filepath.FromSlash(p))
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(full, []byte(c), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	env := []string{"HOME=" + t.TempDir(), "DOCKER_CONFIG=" + t.TempDir(), "XDG_CACHE_HOME=" + t.TempDir()}
	res := kluctltest.Run(t, env, "oci", "push", "--project-dir", dir, "--url", url, "--output", "json",
		"--registry-creds="+reg.Host()+"/kluctl/*="+ociUser+":"+ociPassword)
	if res.Code != 0 {
		t.Fatalf("oci push %s: exit %d: %s", url, res.Code, res.Stderr)
	}
	var out struct{ Digest string }
	if err := json.Unmarshal([]byte(res.Stdout), &out); err != nil {
		t.Fatal(err)
	}
	return out.Digest
}

// TestOciSource: a KluctlDeployment deploys a project pushed with `kluctl
// oci push` (spec.source.oci, from a sub folder), whose OCI include is
// pulled with spec.credentials.oci too; a new push of the tag is
// deployed on the next reconcile. Without credentials the pull fails
// cleanly.
func TestOciSource(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	reg, err := chartserver.StartRegistry(chartserver.RegistryOptions{User: ociUser, Password: ociPassword})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = reg.Close() })
	cm := func(name, version string) string {
		return fmt.Sprintf("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: %s\n  namespace: %s\ndata:\n  version: %q\n", name, e.ns, version)
	}
	ociPush(t, reg, reg.URL("kluctl/base")+":v1", map[string]string{
		"deployment.yaml": "deployments:\n  - path: cm\n", "cm/configmap.yaml": cm("included", "base-v1"),
	})
	app := func(version string) map[string]string {
		return map[string]string{
			"README.md":                 "the project is in project/\n",
			"project/.kluctl.yaml":      "targets:\n  - name: test\n",
			"project/deployment.yaml":   fmt.Sprintf("deployments:\n  - path: cm\n  - oci:\n      url: %s\n      ref:\n        tag: v1\n", reg.URL("kluctl/base")),
			"project/cm/configmap.yaml": cm("from-oci", version),
		}
	}
	digest := ociPush(t, reg, reg.URL("kluctl/app")+":stable", app("v1"))
	if _, err := e.cs.CoreV1().Secrets(e.ns).Create(ctx, &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Name: "oci-credentials"},
		StringData: map[string]string{"username": ociUser, "password": ociPassword, "plainHttp": "true"},
	}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	source := func(kd *v1beta1.KluctlDeployment) {
		kd.Spec.Source = v1beta1.ProjectSource{Oci: &v1beta1.ProjectSourceOci{URL: reg.URL("kluctl/app"), Ref: &v1beta1.OciRef{Tag: "stable"}, Path: "project"}}
		kd.Spec.Credentials.Oci = []v1beta1.ProjectCredentialsOci{{Registry: reg.Host(), Repository: "kluctl/*", SecretRef: v1beta1.LocalObjectReference{Name: "oci-credentials"}}}
	}
	e.kd("from-oci", "test", source)
	kd := e.waitFor("from-oci", "deployed from the registry", 2*time.Minute, func(kd *v1beta1.KluctlDeployment) bool {
		return isReady(kd) && kd.Status.ObservedCommit == digest
	})
	if key := kd.Status.ProjectKey; key == nil || key.RepoKey != "oci://"+reg.Host()+"/kluctl/app" || key.SubDir != "project" {
		t.Errorf("project key = %+v", key)
	}
	version := func(name string) string {
		c, err := e.cs.CoreV1().ConfigMaps(e.ns).Get(ctx, name, metav1.GetOptions{})
		if err != nil {
			t.Fatalf("ConfigMap %s: %v", name, err)
		}
		return c.Data["version"]
	}
	if v := version("from-oci"); v != "v1" {
		t.Errorf("from-oci version = %q, want v1", v)
	}
	if v := version("included"); v != "base-v1" {
		t.Errorf("the OCI include's ConfigMap: version %q, want base-v1", v)
	}

	// A new push of the tag is picked up.
	digest2 := ociPush(t, reg, reg.URL("kluctl/app")+":stable", app("v2"))
	// status.observedCommit names the new digest as soon as a reconcile
	// has pulled it, before its deploy is over; an OCI result without git
	// info carries no commit, so the deployed object itself is awaited.
	e.waitFor("from-oci", "the new push deployed", 2*time.Minute, func(kd *v1beta1.KluctlDeployment) bool {
		return isReady(kd) && kd.Status.ObservedCommit == digest2 && version("from-oci") == "v2"
	})

	e.kd("no-credentials", "test", func(kd *v1beta1.KluctlDeployment) {
		source(kd)
		kd.Spec.Credentials.Oci = nil
	})
	kd = e.waitFor("no-credentials", "the pull failing", 2*time.Minute, func(kd *v1beta1.KluctlDeployment) bool {
		c := findCondition(kd, "Ready")
		return c != nil && c.Status == metav1.ConditionFalse && strings.Contains(c.Message, "authentication failed")
	})
	if c := findCondition(kd, "Ready"); !strings.Contains(c.Message, "kluctl/app") || strings.Contains(c.Message, ociPassword) {
		t.Errorf("Ready message: %s; want the artifact named and no password", c.Message)
	}
}
