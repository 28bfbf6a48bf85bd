package rendercluster

import (
	"context"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"

	"github.com/kluctl-go/kluctl/e2e/kluctltest"
	"github.com/kluctl-go/kluctl/internal/simcluster"
)

// clusterObjectEnv creates, in a fresh namespace, two ConfigMaps labelled
// tier=web (one holding a templated YAML config) and a Secret.
func clusterObjectEnv(t *testing.T) (c *simcluster.Cluster, ns string) {
	c = simcluster.Current(t)
	ns = c.NewNamespace(t)
	cs, err := kubernetes.NewForConfig(c.RESTConfig())
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	for _, cm := range []*corev1.ConfigMap{
		{ObjectMeta: metav1.ObjectMeta{Name: "web-b", Labels: map[string]string{"tier": "web"}}, Data: map[string]string{"config": "port: 1\n"}},
		{ObjectMeta: metav1.ObjectMeta{Name: "web-a", Labels: map[string]string{"tier": "web"}}, Data: map[string]string{"config": "port: {{ base_port + 1 }}\nhost: a.{{ domain }}\n"}},
	} {
		if _, err := cs.CoreV1().ConfigMaps(ns).Create(ctx, cm, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	_, err = cs.CoreV1().Secrets(ns).Create(ctx, &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Name: "db"},
		Data:       map[string][]byte{"password": []byte("s3cr3t-db-pass")},
	}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return c, ns
}

func renderClusterProject(t *testing.T, c *simcluster.Cluster, files map[string]string, extra ...string) kluctltest.Result {
	t.Helper()
	dir := kluctltest.WriteProject(t, files)
	env := []string{"KUBECONFIG=" + c.KubeconfigPath()}
	return kluctltest.Run(t, env, append([]string{"render", "--project-dir", dir, "--context", c.Context(), "--print-all"}, extra...)...)
}

func TestRenderReadsClusterObjectVars(t *testing.T) {
	c, ns := clusterObjectEnv(t)
	res := renderClusterProject(t, c, map[string]string{
		"deployment.yaml": `vars:
  - values:
      base_port: 8000
      domain: example.com
  - clusterObject:
      kind: ConfigMap
      name: web-a
      namespace: ` + ns + `
      path: data.config
      render: true
      parseYaml: true
    targetPath: cfg
    sensitive: false
  - clusterObject:
      kind: ConfigMap
      apiVersion: v1
      namespace: ` + ns + `
      labels:
        tier: web
      list: true
      path: $.metadata.name
    targetPath: names
    sensitive: false
  - clusterObject:
      kind: ConfigMap
      name: web-b
      namespace: ` + ns + `
      path: data
    targetPath: raw
    sensitive: false
  - clusterObject:
      kind: Namespace
      name: ` + ns + `
      namespace: ""
      path: "metadata.labels['kubernetes.io/metadata.name']"
    targetPath: nsName
    sensitive: false
  - clusterObject:
      kind: ConfigMap
      name: does-not-exist
      namespace: ` + ns + `
      path: data
    targetPath: missing.value
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
  port: "{{ cfg.port }}"
  host: "{{ cfg.host }}"
  names: "{{ names | join(',') }}"
  raw: "{{ raw.config | trim }}"
  ns: "{{ nsName }}"
  missing: "{{ missing.value | tojson }}"
`,
	})
	if res.Code != 0 {
		t.Fatalf("render failed: %s", res.Stderr)
	}
	data := firstConfigMapData(t, res.Stdout)
	want := map[string]string{"port": "8001", "host": "a.example.com", "names": "web-a,web-b", "raw": "port: 1", "ns": ns, "missing": "{}"}
	for k, v := range want {
		if data[k] != v {
			t.Errorf("data.%s = %q, want %q", k, data[k], v)
		}
	}
}

// TestClusterObjectVarsAreSensitive: clusterObject values are sensitive
// unless the source says otherwise (as in the original), so a Secret's
// value never reaches stderr, --debug included.
func TestClusterObjectVarsAreSensitive(t *testing.T) {
	c, ns := clusterObjectEnv(t)
	// Both items render a ConfigMap named after the secret, so that the
	// duplicate warning on stderr has a reason to name it.
	cm := "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: \"{{ pw | b64decode }}\"\n  namespace: default\n"
	res := renderClusterProject(t, c, map[string]string{
		"deployment.yaml": `vars:
  - clusterObject:
      kind: Secret
      name: db
      namespace: ` + ns + `
      path: data.password
    targetPath: pw
deployments:
  - path: first
  - path: second
`,
		"first/cm.yaml":  cm,
		"second/cm.yaml": cm,
	}, "--debug")
	if res.Code != 0 {
		t.Fatalf("render failed: %s", res.Stderr)
	}
	if !strings.Contains(res.Stdout, "name: s3cr3t-db-pass") {
		t.Errorf("--print-all should print the rendered object:\n%s", res.Stdout)
	}
	if strings.Contains(res.Stderr, "s3cr3t-db-pass") {
		t.Errorf("stderr leaks the secret:\n%s", res.Stderr)
	}
	if !strings.Contains(res.Stderr, "second") {
		t.Errorf("the duplicate warning is missing; stderr:\n%s", res.Stderr)
	}
}

func TestClusterObjectVarsErrors(t *testing.T) {
	c, ns := clusterObjectEnv(t)
	for _, tc := range []struct{ name, src, want string }{
		{"several objects without list", "{kind: ConfigMap, namespace: " + ns + ", labels: {tier: web}, path: data}", "found 2 objects; set list: true"},
		{"missing object", "{kind: ConfigMap, namespace: " + ns + ", name: nope, path: data}", "no object found"},
		{"missing field", "{kind: ConfigMap, namespace: " + ns + ", name: web-a, path: data.nope}", "json path data.nope not found"},
		{"unknown kind", "{kind: NoSuchKind, namespace: " + ns + ", name: x, path: $}", "no matching resource found for kind NoSuchKind"},
		{"unknown apiVersion", "{kind: ConfigMap, apiVersion: nope.example.com/v1, namespace: " + ns + ", name: x, path: $}", "nope.example.com/v1"},
		{"name and labels", "{kind: ConfigMap, namespace: " + ns + ", name: web-a, labels: {tier: web}, path: data}", "only one of name or labels"},
		{"parseYaml of a mapping", "{kind: ConfigMap, namespace: " + ns + ", name: web-a, path: data, parseYaml: true}", "parseYaml needs a string"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res := renderClusterProject(t, c, map[string]string{
				"deployment.yaml": "vars:\n  - clusterObject: " + tc.src + "\n    targetPath: x\ndeployments: []\n",
			})
			if res.Code == 0 {
				t.Fatalf("render succeeded:\n%s", res.Stdout)
			}
			for _, w := range []string{"vars[0]", "clusterObject", tc.want} {
				if !strings.Contains(res.Stderr, w) {
					t.Errorf("error does not mention %q:\n%s", w, res.Stderr)
				}
			}
		})
	}

	dir := kluctltest.WriteProject(t, map[string]string{
		"deployment.yaml": "vars:\n  - clusterObject: {kind: ConfigMap, namespace: x, name: y, path: data}\n    targetPath: x\ndeployments: []\n",
	})
	offline := kluctltest.Run(t, nil, "render", "--project-dir", dir, "--offline-kubernetes", "--print-all")
	if offline.Code == 0 || !strings.Contains(offline.Stderr, "offline") {
		t.Errorf("offline render with clusterObject vars must fail clearly, got exit %d: %s", offline.Code, offline.Stderr)
	}
}
