package render

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/kluctl-go/kluctl/e2e/kluctltest"
)

// probeProject has two targets and two args with defaults; its ConfigMap
// "probe" shows which target and args a render used.
var probeProject = map[string]string{
	".kluctl.yaml": `targets:
  - name: dev
  - name: prod
args:
  - name: a
    default: unset
  - name: b
    default: unset
`,
	"deployment.yaml": "deployments:\n  - path: app\n",
	"app/cm.yaml":     configMap("probe", "default", map[string]string{"target": `"{{ target.name }}"`, "a": `"{{ args.a }}"`, "b": `"{{ args.b }}"`}),
}

// probe renders the probe project as inv describes (--print-all is always
// given, nothing else) and returns the ConfigMap's data.
func probe(t *testing.T, inv kluctltest.Invocation, args ...string) map[string]any {
	t.Helper()
	dir := kluctltest.WriteProject(t, probeProject)
	inv.Env = append(tempEnv(t), inv.Env...)
	full := append([]string{"render", "--project-dir", dir, "--print-all"}, args...)
	res := kluctltest.RunIn(t, inv, full...)
	if res.Code != 0 {
		t.Fatalf("render failed (exit %d): %s", res.Code, res.Stderr)
	}
	return cmData(t, parseObjects(t, []byte(res.Stdout)), "default", "probe")
}

func TestFlagsFromEnvironment(t *testing.T) {
	cases := []struct {
		name string
		env  []string
		args []string
		want map[string]any
	}{
		{
			name: "target-from-env",
			env:  []string{"KLUCTL_TARGET=dev"},
			args: []string{"--offline-kubernetes"},
			want: map[string]any{"target": "dev", "a": "unset", "b": "unset"},
		},
		{
			name: "command-line-beats-env",
			env:  []string{"KLUCTL_TARGET=dev"},
			args: []string{"--offline-kubernetes", "-t", "prod"},
			want: map[string]any{"target": "prod", "a": "unset", "b": "unset"},
		},
		{
			name: "repeatable-arg-from-indexed-vars",
			env:  []string{"KLUCTL_ARG=a=1", "KLUCTL_ARG_1=b=2"},
			args: []string{"--offline-kubernetes", "-t", "dev"},
			want: map[string]any{"target": "dev", "a": "1", "b": "2"},
		},
		{
			name: "boolean-from-env",
			env:  []string{"KLUCTL_OFFLINE_KUBERNETES=true", "KLUCTL_TARGET=prod"},
			want: map[string]any{"target": "prod", "a": "unset", "b": "unset"},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got := probe(t, kluctltest.Invocation{Env: tc.env}, tc.args...)
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

func TestFlagsFromEnvironmentOnlineNeedsCluster(t *testing.T) {
	// The control for boolean-from-env: without --offline-kubernetes (from
	// anywhere) render connects to the cluster, which does not exist here.
	dir := kluctltest.WriteProject(t, probeProject)
	env := tempEnv(t, "KUBECONFIG="+filepath.Join(t.TempDir(), "no-kubeconfig"), "KLUCTL_TARGET=dev")
	res := kluctltest.RunIn(t, kluctltest.Invocation{Env: env}, "render", "--project-dir", dir, "--print-all")
	if res.Code == 0 || !strings.Contains(res.Stderr, "kubeconfig") {
		t.Errorf("render without --offline-kubernetes should fail to reach the cluster, got exit %d:\n%s", res.Code, res.Stderr)
	}
}

func TestFlagsFromEnvironmentRejectsBadValue(t *testing.T) {
	dir := kluctltest.WriteProject(t, probeProject)
	env := tempEnv(t, "KLUCTL_TIMEOUT=notaduration")
	res := kluctltest.RunIn(t, kluctltest.Invocation{Env: env}, "render", "--project-dir", dir, "--offline-kubernetes", "-t", "dev", "--print-all")
	if res.Code == 0 {
		t.Fatalf("KLUCTL_TIMEOUT=notaduration was accepted:\n%s", res.Stdout)
	}
	for _, w := range []string{"--timeout", "notaduration"} {
		if !strings.Contains(res.Stderr, w) {
			t.Errorf("error does not mention %q:\n%s", w, res.Stderr)
		}
	}
}

func TestFlagsFromConfigFile(t *testing.T) {
	const devConfig = "target: dev\noffline-kubernetes: true\narg:\n  - a=fromconfig\n"
	cases := []struct {
		name string
		// configs are the config.yaml contents of each config folder, in
		// search order; "" leaves the folder empty.
		configs []string
		env     []string
		args    []string
		want    map[string]any
	}{
		{
			name:    "config-applies",
			configs: []string{devConfig},
			want:    map[string]any{"target": "dev", "a": "fromconfig", "b": "unset"},
		},
		{
			name:    "env-beats-config",
			configs: []string{devConfig},
			env:     []string{"KLUCTL_TARGET=prod", "KLUCTL_ARG=a=fromenv"},
			want:    map[string]any{"target": "prod", "a": "fromenv", "b": "unset"},
		},
		{
			name:    "command-line-beats-env-and-config",
			configs: []string{devConfig},
			env:     []string{"KLUCTL_TARGET=prod", "KLUCTL_ARG=a=fromenv"},
			args:    []string{"-t", "dev", "-a", "a=fromcli"},
			want:    map[string]any{"target": "dev", "a": "fromcli", "b": "unset"},
		},
		{
			name:    "empty-first-dir-reads-second",
			configs: []string{"", devConfig},
			want:    map[string]any{"target": "dev", "a": "fromconfig", "b": "unset"},
		},
		{
			name:    "only-first-file-is-read",
			configs: []string{"target: prod\noffline-kubernetes: true\n", devConfig + "  - b=fromsecond\n"},
			want:    map[string]any{"target": "prod", "a": "unset", "b": "unset"},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var dirs []string
			for _, c := range tc.configs {
				files := map[string]string{}
				if c != "" {
					files["config.yaml"] = c
				}
				dirs = append(dirs, kluctltest.WriteProject(t, files))
			}
			got := probe(t, kluctltest.Invocation{Env: tc.env, ConfigDirs: dirs}, tc.args...)
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}
