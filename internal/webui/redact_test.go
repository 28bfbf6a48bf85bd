package webui

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/kluctl-go/kluctl/internal/k8s"
	"github.com/kluctl-go/kluctl/internal/project"
	"github.com/kluctl-go/kluctl/internal/result"
)

func ptr[T any](v T) *T { return &v }

func vars(marker string) []project.VarsSource {
	return []project.VarsSource{{Values: project.Values{"password": marker}}}
}

func obj(marker string) map[string]any {
	return map[string]any{"data": map[string]any{"v": marker}}
}

var (
	coreSecret  = k8s.ObjectRef{Version: "v1", Kind: "Secret", Name: "s", Namespace: "ns"}
	configMap   = k8s.ObjectRef{Version: "v1", Kind: "ConfigMap", Name: "cm", Namespace: "ns"}
	otherSecret = k8s.ObjectRef{Group: "example.com", Version: "v1", Kind: "Secret", Name: "s", Namespace: "ns"}
)

// fullResult is a result with everything a viewer must not see, each
// value a marker naming where it is. Every call returns a new one.
func fullResult() *result.CommandResult {
	return &result.CommandResult{
		ID:             "r1",
		ProjectKey:     result.ProjectKey{RepoKey: "git://github.com/o/r"},
		OverridesPatch: map[string]any{"x": "OVERRIDES"},
		Target:         result.Target{Name: "prod", Args: map[string]any{"x": "TARGET-ARGS"}},
		Command:        result.CommandInfo{Command: "deploy", Args: map[string]any{"x": "COMMAND-ARGS"}},
		Objects: []result.ResultObject{
			{BaseObject: result.BaseObject{Ref: coreSecret, New: true}, Rendered: obj("SECRET-RENDERED"), Remote: obj("SECRET-REMOTE"), Applied: obj("SECRET-APPLIED")},
			{BaseObject: result.BaseObject{Ref: configMap}, Rendered: obj("CM-RENDERED"), Remote: obj("CM-REMOTE"), Applied: obj("CM-APPLIED")},
			{BaseObject: result.BaseObject{Ref: otherSecret, Orphan: true}, Rendered: obj("OTHER-RENDERED"), Remote: obj("OTHER-REMOTE"), Applied: obj("OTHER-APPLIED")},
		},
		Deployment: &result.Deployment{
			DeploymentConfig: project.DeploymentConfig{Vars: vars("ROOT-VARS"), Tags: []string{"root"}},
			Deployments: []result.DeploymentItem{
				{ItemConfig: project.ItemConfig{Path: ptr("app"), Vars: vars("ITEM-VARS")},
					RenderedObjects: []k8s.ObjectRef{configMap}},
				{ItemConfig: project.ItemConfig{Include: ptr("sub"), Vars: vars("INCLUDE-ITEM-VARS"), Args: project.Values{"x": "INCLUDE-ARGS"}},
					RenderedInclude: &result.Deployment{
						DeploymentConfig: project.DeploymentConfig{Vars: vars("NESTED-VARS"), Tags: []string{"nested"}},
						Deployments: []result.DeploymentItem{
							{ItemConfig: project.ItemConfig{Path: ptr("deep"), Vars: vars("NESTED-ITEM-VARS")},
								RenderedObjects: []k8s.ObjectRef{coreSecret, otherSecret}},
						},
					}},
			},
		},
	}
}

func TestRedactForViewer(t *testing.T) {
	in := fullResult()
	got := redactForViewer(in)

	want := &result.CommandResult{
		ID:         "r1",
		ProjectKey: result.ProjectKey{RepoKey: "git://github.com/o/r"},
		Target:     result.Target{Name: "prod"},
		Command:    result.CommandInfo{Command: "deploy"},
		Objects: []result.ResultObject{
			{BaseObject: result.BaseObject{Ref: coreSecret, New: true}},
			{BaseObject: result.BaseObject{Ref: configMap}, Rendered: obj("CM-RENDERED")},
			{BaseObject: result.BaseObject{Ref: otherSecret, Orphan: true}, Rendered: obj("OTHER-RENDERED")},
		},
		Deployment: &result.Deployment{
			DeploymentConfig: project.DeploymentConfig{Tags: []string{"root"}},
			Deployments: []result.DeploymentItem{
				{ItemConfig: project.ItemConfig{Path: ptr("app")}, RenderedObjects: []k8s.ObjectRef{configMap}},
				{ItemConfig: project.ItemConfig{Include: ptr("sub")},
					RenderedInclude: &result.Deployment{
						DeploymentConfig: project.DeploymentConfig{Tags: []string{"nested"}},
						Deployments: []result.DeploymentItem{
							{ItemConfig: project.ItemConfig{Path: ptr("deep")}, RenderedObjects: []k8s.ObjectRef{coreSecret, otherSecret}},
						},
					}},
			},
		},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("redactForViewer (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(fullResult(), in); diff != "" {
		t.Errorf("redactForViewer modified its input (-want +got):\n%s", diff)
	}

	// What the API sends holds none of the hidden values.
	b, err := json.Marshal(got)
	if err != nil {
		t.Fatalf("marshal the redacted result: %v", err)
	}
	for _, hidden := range []string{"OVERRIDES", "SECRET-RENDERED", "SECRET-REMOTE", "SECRET-APPLIED", "CM-REMOTE", "CM-APPLIED",
		"OTHER-REMOTE", "OTHER-APPLIED", "ROOT-VARS", "ITEM-VARS", "NESTED-VARS", "NESTED-ITEM-VARS", "TARGET-ARGS", "COMMAND-ARGS", "INCLUDE-ARGS"} {
		if strings.Contains(string(b), hidden) {
			t.Errorf("the redacted result's JSON holds %s", hidden)
		}
	}
	for _, shown := range []string{"CM-RENDERED", "OTHER-RENDERED"} {
		if !strings.Contains(string(b), shown) {
			t.Errorf("the redacted result's JSON lacks %s", shown)
		}
	}
}

func TestRedactForViewerEmpty(t *testing.T) {
	tests := []struct {
		name string
		in   *result.CommandResult
		want *result.CommandResult
	}{
		{name: "empty", in: &result.CommandResult{}, want: &result.CommandResult{}},
		{name: "no deployment", in: &result.CommandResult{ID: "x", OverridesPatch: map[string]any{"a": "b"}},
			want: &result.CommandResult{ID: "x"}},
		{name: "deployment without items", in: &result.CommandResult{Deployment: &result.Deployment{DeploymentConfig: project.DeploymentConfig{Vars: vars("V")}}},
			want: &result.CommandResult{Deployment: &result.Deployment{}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			// Empty and nil lists are the same to the API (omitempty).
			if diff := cmp.Diff(tc.want, redactForViewer(tc.in), cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("redactForViewer (-want +got):\n%s", diff)
			}
		})
	}
}

func TestIsSecret(t *testing.T) {
	tests := []struct {
		name string
		ref  k8s.ObjectRef
		want bool
	}{
		{name: "core Secret", ref: coreSecret, want: true},
		{name: "core Secret without version", ref: k8s.ObjectRef{Kind: "Secret", Name: "s"}, want: true},
		{name: "Secret of another group", ref: otherSecret, want: false},
		{name: "ConfigMap", ref: configMap, want: false},
		{name: "lower case kind", ref: k8s.ObjectRef{Kind: "secret", Name: "s"}, want: false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := isSecret(tc.ref); got != tc.want {
				t.Errorf("isSecret(%+v) = %v, want %v", tc.ref, got, tc.want)
			}
		})
	}
}

// What the events stream sends viewers of a KluctlDeployment holds no
// args, overrides or last-applied spec; the rest stays.
func TestViewerDeployment(t *testing.T) {
	kd := map[string]any{
		"metadata": map[string]any{"name": "app", "annotations": map[string]any{
			"kubectl.kubernetes.io/last-applied-configuration": `{"spec":{"args":{"pw":"LAST-APPLIED"}}}`,
			"kluctl.io/request-deploy":                         `{"overridesPatch":{"pw":"REQUEST"}}`,
			"team":                                             "payments",
		}},
		"spec": map[string]any{"target": "prod", "args": map[string]any{"pw": "SPEC-ARGS"}},
		"status": map[string]any{
			"lastDeployResult":         map[string]any{"target": map[string]any{"name": "prod", "args": map[string]any{"pw": "RESULT-ARGS"}}},
			"lastManualRequestResults": []any{map[string]any{"request": map[string]any{"requestValue": "1", "overridesPatch": map[string]any{"pw": "OVERRIDES"}}}},
		},
	}
	got := viewerDeployment(kd)
	b, err := json.Marshal(got)
	if err != nil {
		t.Fatal(err)
	}
	for _, hidden := range []string{"LAST-APPLIED", "REQUEST", "SPEC-ARGS", "RESULT-ARGS", "OVERRIDES"} {
		if strings.Contains(string(b), hidden) {
			t.Errorf("the viewer's KluctlDeployment holds %s: %s", hidden, b)
		}
	}
	for _, shown := range []string{`"team":"payments"`, `"target":"prod"`, `"requestValue":"1"`, `"name":"prod"`} {
		if !strings.Contains(string(b), shown) {
			t.Errorf("the viewer's KluctlDeployment lacks %s: %s", shown, b)
		}
	}
	if a, _ := json.Marshal(kd); !strings.Contains(string(a), "SPEC-ARGS") {
		t.Error("viewerDeployment changed its input")
	}
}
