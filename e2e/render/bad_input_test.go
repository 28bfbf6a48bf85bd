package render

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kluctl-go/kluctl/e2e/kluctltest"
)

const okKluctl = `targets:
  - name: dev
    args:
      env: dev
args:
  - name: env
`

const okConfigMap = `apiVersion: v1
kind: ConfigMap
metadata:
  name: cm
data:
  env: "{{ args.env }}"
`

func TestRenderRejectsBadInput(t *testing.T) {
	cases := []struct {
		name  string
		files map[string]string
		setup func(t *testing.T, dir string)
		args  []string
		// wantErr are substrings the error must contain (file, line, field).
		wantErr []string
	}{
		{
			name: "malformed-yaml-in-deployment",
			files: map[string]string{
				".kluctl.yaml":    okKluctl,
				"deployment.yaml": "deployments:\n  - path: app\n   bad: [\n",
				"app/cm.yaml":     okConfigMap,
			},
			wantErr: []string{"deployment.yaml:2", "invalid YAML"},
		},
		{
			name: "unknown-field-in-deployment",
			files: map[string]string{
				".kluctl.yaml":    okKluctl,
				"deployment.yaml": "deployments:\n  - path: app\n    tagz: [a]\n",
				"app/cm.yaml":     okConfigMap,
			},
			wantErr: []string{"deployment.yaml:3", `"tagz"`, "unknown field"},
		},
		{
			name: "unknown-field-in-kluctl-yaml",
			files: map[string]string{
				".kluctl.yaml":    "targets:\n  - name: dev\n    contxt: foo\n",
				"deployment.yaml": "deployments:\n  - path: app\n",
				"app/cm.yaml":     okConfigMap,
			},
			wantErr: []string{".kluctl.yaml:3", `"contxt"`, "unknown field"},
		},
		{
			name: "unknown-field-in-helm-chart",
			files: map[string]string{
				".kluctl.yaml":        okKluctl,
				"deployment.yaml":     "deployments:\n  - path: app\n",
				"app/helm-chart.yaml": "helmChart:\n  repo: https://charts.example.com\n  chartName: x\n  chartVersion: 1.0.0\n  releaseName: x\n  colour: red\n",
			},
			wantErr: []string{"helm-chart.yaml", "colour"},
		},
		{
			name: "missing-required-arg",
			files: map[string]string{
				".kluctl.yaml":    "targets:\n  - name: dev\nargs:\n  - name: env\n",
				"deployment.yaml": "deployments:\n  - path: app\n",
				"app/cm.yaml":     okConfigMap,
			},
			wantErr: []string{".kluctl.yaml", "env", "-a env="},
		},
		{
			name: "unknown-target",
			files: map[string]string{
				".kluctl.yaml":    okKluctl,
				"deployment.yaml": "deployments:\n  - path: app\n",
				"app/cm.yaml":     okConfigMap,
			},
			args:    []string{"-t", "prod"},
			wantErr: []string{`"prod"`, "known targets: dev"},
		},
		{
			name: "undefined-variable",
			files: map[string]string{
				".kluctl.yaml":    okKluctl,
				"deployment.yaml": "deployments:\n  - path: app\n",
				"app/cm.yaml":     "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm\ndata:\n  x: \"{{ nope.value }}\"\n",
			},
			wantErr: []string{"app/cm.yaml", "line 6", "'nope' is undefined"},
		},
		{
			name: "include-cycle",
			files: map[string]string{
				".kluctl.yaml":      okKluctl,
				"deployment.yaml":   "deployments:\n  - include: a\n",
				"a/deployment.yaml": "deployments:\n  - include: ../b\n",
				"b/deployment.yaml": "deployments:\n  - include: ../a\n",
			},
			wantErr: []string{"include cycle", "a -> b -> a"},
		},
		{
			name: "path-escapes-project",
			files: map[string]string{
				".kluctl.yaml":    okKluctl,
				"deployment.yaml": "deployments:\n  - path: ../outside\n",
			},
			wantErr: []string{"deployment.yaml", "deployments[0].path", "outside of the repository"},
		},
		{
			name: "include-escapes-project-through-symlink",
			files: map[string]string{
				".kluctl.yaml":    okKluctl,
				"deployment.yaml": "deployments:\n  - include: linked\n",
			},
			setup: func(t *testing.T, dir string) {
				outside := t.TempDir()
				os.WriteFile(filepath.Join(outside, "deployment.yaml"), []byte("deployments: []\n"), 0o644)
				if err := os.Symlink(outside, filepath.Join(dir, "linked")); err != nil {
					t.Fatal(err)
				}
			},
			wantErr: []string{"deployments[0].include", "outside of the repository"},
		},
		{
			name: "template-name-escapes-project",
			files: map[string]string{
				".kluctl.yaml":    okKluctl,
				"deployment.yaml": "deployments:\n  - path: app\n",
				"app/cm.yaml":     "{% include '../../../../../../etc/passwd' %}\n",
			},
			wantErr: []string{"app/cm.yaml"},
		},
		{
			name: "missing-item-folder",
			files: map[string]string{
				".kluctl.yaml":    okKluctl,
				"deployment.yaml": "deployments:\n  - path: app\n  - path: gone\n",
				"app/cm.yaml":     okConfigMap,
			},
			wantErr: []string{"deployment.yaml", "deployments[1].path", "gone does not exist"},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			dir := kluctltest.WriteProject(t, tc.files)
			if tc.setup != nil {
				tc.setup(t, dir)
			}
			outDir := filepath.Join(t.TempDir(), "out")
			args := append([]string{"render", "--project-dir", dir, "--offline-kubernetes", "--print-all", "--render-output-dir", outDir}, tc.args...)
			if tc.args == nil {
				args = append(args, "-t", "dev")
			}
			res := kluctltest.Run(t, nil, args...)
			if res.Code == 0 {
				t.Fatalf("render succeeded, want an error; stdout:\n%s", res.Stdout)
			}
			if res.Stdout != "" {
				t.Errorf("stdout should be empty on error, got:\n%s", res.Stdout)
			}
			if _, err := os.Stat(outDir); err == nil {
				t.Errorf("render output dir %s was written despite the error", outDir)
			}
			for _, w := range tc.wantErr {
				if !strings.Contains(res.Stderr, w) {
					t.Errorf("error does not mention %q:\n%s", w, res.Stderr)
				}
			}
			if strings.Contains(res.Stderr, "panic") || strings.Contains(res.Stderr, "goroutine ") {
				t.Errorf("error looks like a crash:\n%s", res.Stderr)
			}
		})
	}
}
