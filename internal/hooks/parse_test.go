package hooks

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

func job(name string, ann map[string]string) *unstructured.Unstructured {
	o := &unstructured.Unstructured{Object: map[string]any{"apiVersion": "batch/v1", "kind": "Job"}}
	o.SetName(name)
	o.SetAnnotations(ann)
	return o
}

func TestParse(t *testing.T) {
	tests := []struct {
		name    string
		ann     map[string]string
		want    *Hook // Object is not compared
		wantErr bool
	}{
		{name: "not a hook", ann: map[string]string{"x": "y"}},
		{
			name: "kluctl hook with defaults",
			ann:  map[string]string{"kluctl.io/hook": "pre-deploy, post-deploy-initial"},
			want: &Hook{Hooks: map[string]bool{PreDeploy: true, PostDeployInitial: true}, DeletePolicies: map[string]bool{BeforeHookCreation: true}, Wait: true},
		},
		{
			name: "all annotations",
			ann: map[string]string{
				"kluctl.io/hook": "post-deploy", "kluctl.io/hook-weight": "-5",
				"kluctl.io/hook-delete-policy": "hook-succeeded,hook-failed",
				"kluctl.io/hook-wait":          "false", "kluctl.io/hook-timeout": "90s",
			},
			want: &Hook{Hooks: map[string]bool{PostDeploy: true}, Weight: -5, DeletePolicies: map[string]bool{HookSucceeded: true, HookFailed: true}, Timeout: 90 * time.Second},
		},
		{
			name: "helm hooks map to kluctl hooks",
			ann:  map[string]string{"helm.sh/hook": "pre-install,pre-upgrade", "helm.sh/hook-weight": "3", "helm.sh/hook-delete-policy": "hook-succeeded"},
			want: &Hook{Hooks: map[string]bool{PreDeployInitial: true, PreDeployUpgrade: true}, Weight: 3, DeletePolicies: map[string]bool{HookSucceeded: true}, Wait: true},
		},
		{name: "helm pre-delete only is no hook", ann: map[string]string{"helm.sh/hook": "pre-delete"}},
		{name: "unknown kluctl hook", ann: map[string]string{"kluctl.io/hook": "pre-something"}, wantErr: true},
		{name: "bad weight", ann: map[string]string{"kluctl.io/hook": "pre-deploy", "kluctl.io/hook-weight": "x"}, wantErr: true},
		{name: "bad policy", ann: map[string]string{"kluctl.io/hook": "pre-deploy", "kluctl.io/hook-delete-policy": "never"}, wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, _, err := Parse(job("j", tt.ann))
			if (err != nil) != tt.wantErr {
				t.Fatalf("err = %v, wantErr %v", err, tt.wantErr)
			}
			if got != nil {
				got.Object = nil
			}
			if d := cmp.Diff(tt.want, got); d != "" {
				t.Errorf("Parse() (-want +got):\n%s", d)
			}
		})
	}
}

func TestSelect(t *testing.T) {
	mk := func(name, hook, weight string) *Hook {
		h, _, err := Parse(job(name, map[string]string{"kluctl.io/hook": hook, "kluctl.io/hook-weight": weight}))
		if err != nil {
			t.Fatal(err)
		}
		return h
	}
	all := []*Hook{
		mk("a", "pre-deploy", "10"),
		mk("b", "pre-deploy-initial", "0"),
		mk("c", "pre-deploy-upgrade", "-1"),
		mk("d", "post-deploy", "0"),
		mk("e", "pre-deploy", "0"),
	}
	names := func(hs []*Hook) []string {
		var out []string
		for _, h := range hs {
			out = append(out, h.Object.GetName())
		}
		return out
	}
	tests := []struct {
		phase   Phase
		initial bool
		want    []string
	}{
		{Pre, true, []string{"b", "e", "a"}},
		{Pre, false, []string{"c", "e", "a"}},
		{Post, true, []string{"d"}},
	}
	for _, tt := range tests {
		if d := cmp.Diff(tt.want, names(Select(all, tt.phase, tt.initial))); d != "" {
			t.Errorf("Select(%v, initial=%v) (-want +got):\n%s", tt.phase, tt.initial, d)
		}
	}
}
