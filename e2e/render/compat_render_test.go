package render

import (
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/go-git/go-git/v5"
	"github.com/google/go-cmp/cmp"

	"github.com/kluctl-go/kluctl/e2e/kluctltest"
)

// gitRepo writes files into a new temporary folder and makes it a git
// repository, the layout users render from.
func gitRepo(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := kluctltest.WriteProject(t, files)
	if _, err := git.PlainInit(dir, false); err != nil {
		t.Fatal(err)
	}
	return dir
}

// symlink creates link pointing at target, failing the test on error.
func symlink(t *testing.T, target, link string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(link), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(target, link); err != nil {
		t.Fatal(err)
	}
}

// tempEnv keeps kluctl's scratch and cache folders inside the test's
// temporary folders, followed by extra (KEY=VALUE).
func tempEnv(t *testing.T, extra ...string) []string {
	t.Helper()
	tmp := t.TempDir()
	env := []string{"KLUCTL_BASE_TMP_DIR=" + filepath.Join(tmp, "base"), "XDG_CACHE_HOME=" + filepath.Join(tmp, "cache")}
	return append(env, extra...)
}

// renderOffline renders the project in dir offline with --print-all.
func renderOffline(t *testing.T, dir string, args ...string) kluctltest.Result {
	t.Helper()
	full := append([]string{"render", "--project-dir", dir, "--offline-kubernetes", "--print-all"}, args...)
	return kluctltest.Run(t, tempEnv(t), full...)
}

// mustRender renders dir offline and returns the objects by key.
func mustRender(t *testing.T, dir string, args ...string) map[string]map[string]any {
	t.Helper()
	res := renderOffline(t, dir, args...)
	if res.Code != 0 {
		t.Fatalf("render failed (exit %d): %s", res.Code, res.Stderr)
	}
	return parseObjects(t, []byte(res.Stdout))
}

func sortedKeys(objs map[string]map[string]any) []string {
	keys := objKeys(objs)
	sort.Strings(keys)
	return keys
}

func configMap(name, ns string, data map[string]string) string {
	var b strings.Builder
	b.WriteString("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: " + name + "\n  namespace: " + ns + "\ndata:\n")
	for k, v := range data {
		b.WriteString("  " + k + ": " + v + "\n")
	}
	return b.String()
}

func TestRenderSkipsExcludedItemsEntirely(t *testing.T) {
	const deployment = `deployments:
  - path: app
  - path: broken
    tags: [fragile]
`
	brokenKinds := []struct {
		name string
		// setup breaks the "broken" item of the repository in dir.
		setup func(t *testing.T, dir string)
		// wantErr names the item or file when the item is not excluded.
		wantErr []string
	}{
		{
			name: "dangling-symlink",
			setup: func(t *testing.T, dir string) {
				os.WriteFile(filepath.Join(dir, "broken", "cm.yaml"), []byte(configMap("broken", "default", nil)), 0o644)
				symlink(t, "does-not-exist.yaml", filepath.Join(dir, "broken", "dangling.yaml"))
			},
			wantErr: []string{"broken/dangling.yaml"},
		},
		{
			name: "submodule-not-checked-out",
			setup: func(t *testing.T, dir string) {
				os.RemoveAll(filepath.Join(dir, "broken"))
			},
			wantErr: []string{"deployments[1].path", "broken does not exist"},
		},
	}
	filters := []struct {
		name string
		args []string
	}{
		{"exclude-tag", []string{"-E", "fragile"}},
		{"include-tag", []string{"-I", "app"}},
		{"exclude-deployment-dir", []string{"--exclude-deployment-dir", "broken"}},
		{"include-deployment-dir", []string{"--include-deployment-dir", "app"}},
	}
	for _, bk := range brokenKinds {
		t.Run(bk.name, func(t *testing.T) {
			dir := gitRepo(t, map[string]string{
				"deployment.yaml": deployment,
				"app/cm.yaml":     configMap("app", "default", map[string]string{"ok": `"yes"`}),
				"broken/.keep":    "",
			})
			bk.setup(t, dir)

			for _, f := range filters {
				t.Run(f.name, func(t *testing.T) {
					objs := mustRender(t, dir, f.args...)
					if diff := cmp.Diff([]string{"v1/ConfigMap/default/app"}, sortedKeys(objs)); diff != "" {
						t.Errorf("only the app item should be rendered (-want +got):\n%s", diff)
					}
				})
			}

			t.Run("without-exclusion-fails", func(t *testing.T) {
				res := renderOffline(t, dir)
				if res.Code == 0 {
					t.Fatalf("render of the broken item succeeded; stdout:\n%s", res.Stdout)
				}
				for _, w := range bk.wantErr {
					if !strings.Contains(res.Stderr, w) {
						t.Errorf("error does not mention %q:\n%s", w, res.Stderr)
					}
				}
			})
		})
	}
}

func TestRenderFollowsSymlinkedFolderInsideRepository(t *testing.T) {
	dir := gitRepo(t, map[string]string{
		"deployment.yaml": `vars:
  - values:
      greeting: hello-from-vars
deployments:
  - path: app
`,
		"common-files/cm.yaml":   configMap("shared", "default", map[string]string{"greeting": `"{{ greeting }}"`}),
		"app/kustomization.yaml": "resources:\n  - shared/cm.yaml\n",
	})
	symlink(t, "../common-files", filepath.Join(dir, "app", "shared"))

	objs := mustRender(t, dir)
	if got := cmData(t, objs, "default", "shared")["greeting"]; got != "hello-from-vars" {
		t.Errorf("file behind the symlinked folder was not templated: greeting = %v", got)
	}
}

const minimalChart = "apiVersion: v2\nname: common\nversion: 0.1.0\n"

const chartConfigMap = `apiVersion: v1
kind: ConfigMap
metadata:
  name: {{ .Release.Name }}-cm
  namespace: {{ .Release.Namespace }}
data:
  chart: {{ .Chart.Name }}
`

func TestRenderLocalHelmChartInsideRepository(t *testing.T) {
	repo := gitRepo(t, map[string]string{
		"charts/common/Chart.yaml":        minimalChart,
		"charts/common/templates/cm.yaml": chartConfigMap,
		"project/deployment.yaml":         "deployments:\n  - path: app\n",
		"project/app/helm-chart.yaml":     "helmChart:\n  path: ../../charts/common\n  releaseName: x\n  namespace: ns\n",
	})
	objs := mustRender(t, filepath.Join(repo, "project"))
	if got := cmData(t, objs, "ns", "x-cm")["chart"]; got != "common" {
		t.Errorf("local chart not rendered: chart = %v", got)
	}
}

func TestRenderRefusesLocalHelmChartOutsideRepository(t *testing.T) {
	parent := kluctltest.WriteProject(t, map[string]string{
		"charts/common/Chart.yaml":         minimalChart,
		"charts/common/templates/cm.yaml":  chartConfigMap,
		"repo/project/deployment.yaml":     "deployments:\n  - path: app\n",
		"repo/project/app/helm-chart.yaml": "helmChart:\n  path: ../../../charts/common\n  releaseName: x\n  namespace: ns\n",
	})
	if _, err := git.PlainInit(filepath.Join(parent, "repo"), false); err != nil {
		t.Fatal(err)
	}
	res := renderOffline(t, filepath.Join(parent, "repo", "project"))
	if res.Code == 0 {
		t.Fatalf("chart outside the repository was rendered:\n%s", res.Stdout)
	}
	for _, w := range []string{"helm-chart.yaml", "outside the repository"} {
		if !strings.Contains(res.Stderr, w) {
			t.Errorf("error does not mention %q:\n%s", w, res.Stderr)
		}
	}
}

func TestRenderOfflineKeepsNamespaceOfClusterScopedCustomResources(t *testing.T) {
	dir := gitRepo(t, map[string]string{
		"deployment.yaml": "deployments:\n  - path: crds\n  - path: widgets\n",
		"crds/crd.yaml": `apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: widgets.example.com
spec:
  group: example.com
  names:
    kind: Widget
    plural: widgets
  scope: Cluster
  versions:
    - name: v1
      served: true
      storage: true
      schema:
        openAPIV3Schema:
          type: object
          x-kubernetes-preserve-unknown-fields: true
`,
		"widgets/kustomization.yaml": "namespace: foo\nresources:\n  - widget.yaml\n",
		"widgets/widget.yaml":        "apiVersion: example.com/v1\nkind: Widget\nmetadata:\n  name: w1\n",
	})
	objs := mustRender(t, dir)
	if objs["example.com/v1/Widget/foo/w1"] == nil {
		t.Errorf("offline render must not change the custom resource's namespace; have %v", objKeys(objs))
	}
}

func TestRenderSameObjectInTwoItemsKeepsTheLastOne(t *testing.T) {
	// zeta comes first in deployment order, alpha last: the later item
	// wins, whatever the alphabetical order of the folders.
	dir := gitRepo(t, map[string]string{
		"deployment.yaml": "deployments:\n  - path: zeta\n  - path: alpha\n",
		"zeta/cm.yaml":    configMap("dup", "default", map[string]string{"from": "zeta"}),
		"alpha/cm.yaml":   configMap("dup", "default", map[string]string{"from": "alpha"}),
	})
	res := renderOffline(t, dir)
	if res.Code != 0 {
		t.Fatalf("render failed (exit %d): %s", res.Code, res.Stderr)
	}
	objs := parseObjects(t, []byte(res.Stdout)) // fails on duplicates
	if got := cmData(t, objs, "default", "dup")["from"]; got != "alpha" {
		t.Errorf("duplicate object should have the content of the last item (alpha), got from=%v", got)
	}
	if !strings.Contains(strings.ToLower(res.Stderr), "warning") || !strings.Contains(res.Stderr, "zeta") || !strings.Contains(res.Stderr, "alpha") {
		t.Errorf("stderr should warn about the duplicate naming both items zeta and alpha, got:\n%s", res.Stderr)
	}
}

func TestRenderRefusesSymlinkOutOfRepository(t *testing.T) {
	outside := kluctltest.WriteProject(t, map[string]string{
		"secret.yaml": configMap("leak", "default", map[string]string{"x": "y"}),
	})
	dir := gitRepo(t, map[string]string{
		"deployment.yaml": "deployments:\n  - path: app\n",
		"app/cm.yaml":     configMap("app", "default", nil),
	})
	symlink(t, filepath.Join(outside, "secret.yaml"), filepath.Join(dir, "app", "linked.yaml"))

	res := renderOffline(t, dir)
	if res.Code == 0 {
		t.Fatalf("render followed a symlink out of the repository:\n%s", res.Stdout)
	}
	for _, w := range []string{"linked.yaml", "outside of the repository", "copy the files into the repository"} {
		if !strings.Contains(res.Stderr, w) {
			t.Errorf("error does not mention %q:\n%s", w, res.Stderr)
		}
	}
	if strings.Contains(res.Stdout, "leak") {
		t.Errorf("content from outside the repository was printed:\n%s", res.Stdout)
	}
}

func TestRenderKustomizeErrorsNameProjectFiles(t *testing.T) {
	cases := []struct {
		name          string
		kustomization string
		// wantErr is the missing file, named in the error.
		wantErr string
	}{
		{
			name:          "patch-file-missing",
			kustomization: "resources:\n  - cm.yaml\npatches:\n  - path: missing-patch.yaml\n",
			wantErr:       "missing-patch.yaml",
		},
		{
			name:          "resource-missing-with-patches",
			kustomization: "resources:\n  - cm.yaml\n  - missing.yaml\npatches:\n  - patch: |\n      apiVersion: v1\n      kind: ConfigMap\n      metadata:\n        name: app\n      data:\n        patched: \"true\"\n",
			wantErr:       "missing.yaml",
		},
		{
			name:          "resource-outside-project",
			kustomization: "resources:\n  - cm.yaml\n  - ../../elsewhere\n",
			wantErr:       "../../elsewhere",
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			dir := gitRepo(t, map[string]string{
				"deployment.yaml":        "deployments:\n  - path: app\n",
				"app/kustomization.yaml": tc.kustomization,
				"app/cm.yaml":            configMap("app", "default", nil),
			})
			res := renderOffline(t, dir)
			if res.Code == 0 {
				t.Fatalf("render succeeded:\n%s", res.Stdout)
			}
			for _, w := range []string{dir, tc.wantErr} {
				if !strings.Contains(res.Stderr, w) {
					t.Errorf("error does not mention %q:\n%s", w, res.Stderr)
				}
			}
			for _, bad := range []string{"/scratch/", "tree-"} {
				if strings.Contains(res.Stderr, bad) {
					t.Errorf("error names a temporary folder (%q):\n%s", bad, res.Stderr)
				}
			}
		})
	}
}

// A kustomization may only use the folders of deployment items (the
// rendered tree), as in the original; referring to another folder of the
// repository explains what to do instead of "no such file".
func TestRenderExplainsKustomizeReferenceToFolderThatIsNoItem(t *testing.T) {
	dir := gitRepo(t, map[string]string{
		"deployment.yaml":         "deployments:\n  - path: app\n",
		"app/kustomization.yaml":  "resources:\n  - ../base\n",
		"base/kustomization.yaml": "resources:\n  - cm.yaml\n",
		"base/cm.yaml":            configMap("base", "default", map[string]string{"a": "b"}),
	})
	res := renderOffline(t, dir)
	if res.Code == 0 {
		t.Fatalf("render succeeded, want an error for the folder that is no deployment item:\n%s", res.Stdout)
	}
	for _, want := range []string{filepath.Join(dir, "base"), "not part of a rendered deployment item", "onlyRender: true"} {
		if !strings.Contains(res.Stderr, want) {
			t.Errorf("error does not contain %q:\n%s", want, res.Stderr)
		}
	}

	// With the folder as an onlyRender item, the reference works.
	if err := os.WriteFile(filepath.Join(dir, "deployment.yaml"), []byte("deployments:\n  - path: base\n    onlyRender: true\n  - path: app\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	objs := mustRender(t, dir)
	if _, ok := objs["v1/ConfigMap/default/base"]; !ok {
		t.Errorf("ConfigMap of the base not rendered through the item: %v", sortedKeys(objs))
	}
}
