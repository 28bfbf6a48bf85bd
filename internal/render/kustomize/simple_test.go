package kustomize

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"sigs.k8s.io/yaml"

	"github.com/kluctl-go/kluctl/internal/k8s"
)

// TestBuildGeneratedMatchesKustomize renders folders without a
// kustomization both ways: the shortcut must give exactly Kustomize's
// objects, or decline.
func TestBuildGeneratedMatchesKustomize(t *testing.T) {
	ns := "target-ns"
	cases := []struct {
		name      string
		files     map[string]string
		namespace *string
		wantOK    bool
	}{
		{
			name: "workloads-with-namespace",
			files: map[string]string{
				"a-deploy.yaml":    "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\n  labels: {app: web}\nspec:\n  replicas: 3\n  selector:\n    matchLabels: {app: web}\n  template:\n    metadata:\n      labels: {app: web}\n    spec:\n      containers:\n      - name: c\n        image: nginx\n        ports:\n        - containerPort: 8080\n        resources:\n          limits: {cpu: 0.5, memory: 128Mi}\n",
				"b-svc.yml":        "apiVersion: v1\nkind: Service\nmetadata:\n  name: web\n  namespace: explicit\nspec:\n  ports:\n  - port: 80\n    targetPort: 8080\n",
				"c-multi.yaml":     "---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: one\ndata:\n  on: on\n  octal: \"010\"\n  empty: \"\"\n---\n# only a comment\n---\napiVersion: v1\nkind: Namespace\nmetadata:\n  name: target-ns\n",
				"helm-values.yaml": "ignored: true\n",
				"notes.txt":        "not yaml\n",
			},
			namespace: &ns,
			wantOK:    true,
		},
		{
			name: "scalars-and-anchors-without-namespace",
			files: map[string]string{
				"cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: scalars\n  annotations:\n    base: &b hello\n    copy: *b\ndata:\n  quoted: \"yes\"\n  big: \"12345678901234567890\"\n  float: \"1.5\"\n",
				"cr.yaml": "apiVersion: example.com/v1\nkind: Widget\nmetadata:\n  name: w\nspec:\n  size: 10\n  ratio: 0.25\n  enabled: true\n  nothing: null\n  list: [1, two, 3.0]\n",
				"pc.yaml": "apiVersion: scheduling.k8s.io/v1\nkind: PriorityClass\nmetadata:\n  name: high\nvalue: 1000\n",
			},
			wantOK: true,
		},
		{
			name: "cluster-scoped-with-namespace",
			files: map[string]string{
				"cr.yaml": "apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata:\n  name: reader\nrules: []\n",
				"cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm\n",
				"sc.yaml": "apiVersion: storage.k8s.io/v1\nkind: StorageClass\nmetadata:\n  name: fast\nprovisioner: x\n",
			},
			namespace: &ns,
			wantOK:    true,
		},
		{
			name: "trivial-kustomization-with-own-namespace",
			files: map[string]string{
				"kustomization.yaml": "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nnamespace: own\nresources:\n- z.yaml\n- a.yaml\n",
				"z.yaml":             "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: z\n",
				"a.yaml":             "apiVersion: v1\nkind: Secret\nmetadata:\n  name: a\nstringData:\n  k: v\n",
				"unlisted.yaml":      "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: unlisted\n",
			},
			namespace: &ns,
			wantOK:    true,
		},
		{
			name: "trivial-kustomization-takes-override-namespace",
			files: map[string]string{
				"kustomization.yaml": "resources:\n- cm.yaml\n",
				"cm.yaml":            "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm\n",
			},
			namespace: &ns,
			wantOK:    true,
		},
		{
			name: "kustomization-with-patches-declines",
			files: map[string]string{
				"kustomization.yaml": "resources:\n- cm.yaml\ncommonLabels:\n  a: b\n",
				"cm.yaml":            "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm\n",
			},
			wantOK: false,
		},
		{
			name: "kustomization-with-base-folder-declines",
			files: map[string]string{
				"kustomization.yaml":      "resources:\n- base\n",
				"base/kustomization.yaml": "resources:\n- cm.yaml\n",
				"base/cm.yaml":            "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm\n",
			},
			wantOK: false,
		},
		{
			name: "rolebinding-declines",
			files: map[string]string{
				"rb.yaml": "apiVersion: rbac.authorization.k8s.io/v1\nkind: RoleBinding\nmetadata:\n  name: rb\nroleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: r}\nsubjects:\n- kind: ServiceAccount\n  name: default\n  namespace: default\n",
			},
			namespace: &ns,
			wantOK:    false,
		},
		{
			name: "list-declines",
			files: map[string]string{
				"list.yaml": "apiVersion: v1\nkind: List\nitems:\n- apiVersion: v1\n  kind: ConfigMap\n  metadata:\n    name: a\n",
			},
			wantOK: false,
		},
		{
			name: "timestamps-decline",
			files: map[string]string{
				"cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ts\n  annotations:\n    when: 2024-01-02\n",
			},
			wantOK: false,
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			root := t.TempDir()
			dir := filepath.Join(root, "item")
			for name, content := range tc.files {
				writeTestFile(t, filepath.Join(dir, name), content)
			}
			got, ok, err := BuildSimple(dir, tc.namespace, k8s.IsBuiltinClusterScoped)
			if err != nil {
				t.Fatal(err)
			}
			if ok != tc.wantOK {
				t.Fatalf("BuildSimple ok = %v, want %v", ok, tc.wantOK)
			}
			if !ok {
				return
			}
			// The reference: Kustomize with the kustomization Kluctl would
			// generate, plus the namespace.
			gen, err := GenerateKustomization(dir)
			if err != nil {
				t.Fatal(err)
			}
			if existing, ok := tc.files["kustomization.yaml"]; ok {
				gen = []byte(existing)
			}
			var k map[string]any
			if err := yaml.Unmarshal(gen, &k); err != nil {
				t.Fatal(err)
			}
			if _, set := k["namespace"]; tc.namespace != nil && !set {
				k["namespace"] = *tc.namespace
			}
			kb, _ := yaml.Marshal(k)
			writeTestFile(t, filepath.Join(dir, "kustomization.yaml"), string(kb))
			want, err := Build(context.Background(), dir, Options{Root: root})
			if err != nil {
				t.Fatal(err)
			}
			if len(want) != len(got) {
				t.Fatalf("got %d objects, kustomize %d", len(got), len(want))
			}
			for i := range want {
				if diff := cmp.Diff(want[i].Object, got[i].Object); diff != "" {
					t.Errorf("object %d differs from kustomize (-kustomize +shortcut):\n%s", i, diff)
				}
			}
		})
	}
}

func writeTestFile(t *testing.T, p, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(strings.TrimLeft(content, "\n")), 0o644); err != nil {
		t.Fatal(err)
	}
}
