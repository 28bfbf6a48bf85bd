package rendercluster

import (
	"bytes"
	"context"
	"io"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	yamlutil "k8s.io/apimachinery/pkg/util/yaml"
	"k8s.io/client-go/kubernetes"

	"github.com/kluctl-go/kluctl/e2e/kluctltest"
	"github.com/kluctl-go/kluctl/internal/simcluster"
)

func TestRenderReadsClusterConfigMapAndSecretVars(t *testing.T) {
	c := simcluster.Current(t)
	ns := c.NewNamespace(t)
	cs, err := kubernetes.NewForConfig(c.RESTConfig())
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	_, err = cs.CoreV1().ConfigMaps(ns).Create(ctx, &corev1.ConfigMap{
		ObjectMeta: metav1.ObjectMeta{Name: "cluster-vars", Labels: map[string]string{"vars": "yes"}},
		Data:       map[string]string{"vars": "cluster:\n  region: eu-test-1\n  nodes: 3\n", "simple": "7"},
	}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	_, err = cs.CoreV1().Secrets(ns).Create(ctx, &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Name: "cluster-secret"},
		Data:       map[string][]byte{"creds": []byte("db:\n  password: s3cr3t-value\n")},
	}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}

	dir := kluctltest.WriteProject(t, map[string]string{
		"deployment.yaml": `vars:
  - clusterConfigMap:
      name: cluster-vars
      namespace: ` + ns + `
      key: vars
  - clusterConfigMap:
      labels:
        vars: "yes"
      namespace: ` + ns + `
      key: simple
    targetPath: simple.value
  - clusterSecret:
      name: cluster-secret
      namespace: ` + ns + `
      key: creds
  - clusterConfigMap:
      name: does-not-exist
      namespace: ` + ns + `
      key: x
    ignoreMissing: true
deployments:
  - path: app
`,
		"app/cm.yaml": `apiVersion: v1
kind: ConfigMap
metadata:
  name: out
  namespace: default
data:
  region: "{{ cluster.region }}"
  nodes: "{{ cluster.nodes + 1 }}"
  simple: "{{ simple.value }}"
  passwordLength: "{{ db.password | length }}"
`,
	})
	env := []string{"KUBECONFIG=" + c.KubeconfigPath()}
	res := kluctltest.Run(t, env, "render", "--project-dir", dir, "--context", c.Context(), "--print-all")
	if res.Code != 0 {
		t.Fatalf("render failed: %s", res.Stderr)
	}
	data := firstConfigMapData(t, res.Stdout)
	want := map[string]string{"region": "eu-test-1", "nodes": "4", "simple": "7", "passwordLength": "12"}
	for k, v := range want {
		if data[k] != v {
			t.Errorf("data.%s = %q, want %q", k, data[k], v)
		}
	}

	offline := kluctltest.Run(t, env, "render", "--project-dir", dir, "--offline-kubernetes", "--print-all")
	if offline.Code == 0 || !strings.Contains(offline.Stderr, "offline") {
		t.Errorf("offline render with cluster vars must fail clearly, got exit %d: %s", offline.Code, offline.Stderr)
	}
}

func firstConfigMapData(t *testing.T, stream string) map[string]string {
	t.Helper()
	dec := yamlutil.NewYAMLOrJSONDecoder(bytes.NewReader([]byte(stream)), 4096)
	for {
		var cm corev1.ConfigMap
		if err := dec.Decode(&cm); err != nil {
			if err == io.EOF {
				break
			}
			t.Fatal(err)
		}
		if cm.Kind == "ConfigMap" {
			return cm.Data
		}
	}
	t.Fatalf("no ConfigMap in output:\n%s", stream)
	return nil
}

// TestRenderConnectsToTemplatedTargetContext: the target's context is a
// template over args; it is rendered before connecting.
func TestRenderConnectsToTemplatedTargetContext(t *testing.T) {
	c := simcluster.Current(t)
	ns := c.NewNamespace(t)
	cs, err := kubernetes.NewForConfig(c.RESTConfig())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := cs.CoreV1().ConfigMaps(ns).Create(context.Background(), &corev1.ConfigMap{
		ObjectMeta: metav1.ObjectMeta{Name: "v"}, Data: map[string]string{"v": "from-cluster"},
	}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	dir := kluctltest.WriteProject(t, map[string]string{
		".kluctl.yaml":    "targets:\n  - name: t\n    context: \"{{ args.kube }}\"\nargs:\n  - name: kube\n",
		"deployment.yaml": "vars:\n  - clusterConfigMap:\n      name: v\n      namespace: " + ns + "\n      key: v\n    targetPath: v\ndeployments:\n  - path: app\n",
		"app/cm.yaml":     "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: out\n  namespace: default\ndata:\n  v: \"{{ v }}\"\n",
	})
	env := []string{"KUBECONFIG=" + c.KubeconfigPath()}
	res := kluctltest.Run(t, env, "render", "--project-dir", dir, "-t", "t", "-a", "kube="+c.Context(), "--print-all")
	if res.Code != 0 {
		t.Fatalf("render failed: %s", res.Stderr)
	}
	if got := firstConfigMapData(t, res.Stdout)["v"]; got != "from-cluster" {
		t.Errorf("v = %q, want from-cluster", got)
	}
	res = kluctltest.Run(t, env, "render", "--project-dir", dir, "-t", "t", "-a", "kube=no-such-context", "--print-all")
	if res.Code == 0 || !strings.Contains(res.Stderr, "no-such-context") {
		t.Errorf("unknown context must fail naming it: exit %d %s", res.Code, res.Stderr)
	}
}
