package result

import (
	"bytes"
	"encoding/json"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	sigsyaml "sigs.k8s.io/yaml"

	"github.com/kluctl-go/kluctl/internal/diff"
	"github.com/kluctl-go/kluctl/internal/k8s"
	"github.com/kluctl-go/kluctl/internal/project"
)

func strp(s string) *string { return &s }

// fixedDocument is the scenario of testdata/command-result.golden.yaml.
func fixedDocument() *CommandResult {
	start := time.Date(2024, 5, 1, 10, 0, 0, 0, time.UTC)
	cm := map[string]any{"apiVersion": "v1", "kind": "ConfigMap", "metadata": map[string]any{"name": "cm", "namespace": "ns"}, "data": map[string]any{"a": "1"}}
	cmRef := k8s.ObjectRef{Version: "v1", Kind: "ConfigMap", Name: "cm", Namespace: "ns"}
	sub := project.DeploymentConfig{}
	return &CommandResult{
		ID:         "8f0c1c9e-7b1d-4c54-9f0a-6f9e1c2d3b4a",
		ProjectKey: ProjectKey{RepoKey: "git://example.com/org/repo", SubDir: "projects/demo"},
		TargetKey:  TargetKey{TargetName: "prod", ClusterID: "11111111-2222-3333-4444-555555555555", Discriminator: "demo-prod"},
		Target:     Target{Name: "prod", Context: strp("prod-cluster"), Discriminator: "demo-prod"},
		Command: CommandInfo{
			Initiator: InitiatorCommandLine, StartTime: metav1.NewTime(start), EndTime: metav1.NewTime(start.Add(5 * time.Second)),
			Command: "deploy", Target: "prod", Args: map[string]any{"env": "prod"}, ForceApply: true, IncludeTags: []string{"app"},
		},
		GitInfo: GitInfo{URL: strp("https://example.com/org/repo.git"), Ref: &GitRef{Branch: "main"},
			SubDir: "projects/demo", Commit: "0123456789abcdef0123456789abcdef01234567"},
		ClusterInfo: ClusterInfo{ClusterID: "11111111-2222-3333-4444-555555555555"},
		Deployment: &Deployment{Deployments: []DeploymentItem{
			{ItemConfig: project.ItemConfig{Path: strp("app"), Tags: []string{"app"}}, RenderedObjects: []k8s.ObjectRef{cmRef}},
			{ItemConfig: project.ItemConfig{Barrier: true}},
			{ItemConfig: project.ItemConfig{Include: strp("sub"), Tags: []string{"sub"}}, RenderedInclude: &Deployment{DeploymentConfig: sub, Deployments: []DeploymentItem{{ItemConfig: project.ItemConfig{Path: strp("web")}}}}},
		}},
		RenderedObjectsHash: "3c1f",
		Objects: []ResultObject{
			{BaseObject: BaseObject{Ref: cmRef, Changes: []diff.Change{{Type: "update", JSONPath: "data.a", OldValue: "0", NewValue: "1", UnifiedDiff: "-0\n+1"}}}, Rendered: cm, Remote: cm},
			{BaseObject: BaseObject{Ref: k8s.ObjectRef{Group: "apps", Version: "v1", Kind: "Deployment", Name: "web", Namespace: "ns"}, New: true},
				Rendered: map[string]any{"apiVersion": "apps/v1", "kind": "Deployment", "metadata": map[string]any{"name": "web", "namespace": "ns"}}},
			{BaseObject: BaseObject{Ref: k8s.ObjectRef{Version: "v1", Kind: "Service", Name: "old", Namespace: "ns"}, Orphan: true},
				Remote: map[string]any{"apiVersion": "v1", "kind": "Service", "metadata": map[string]any{"name": "old", "namespace": "ns"}}},
		},
		Errors:     []DeploymentError{{Message: "cluster unreachable"}},
		Warnings:   []DeploymentError{{Ref: k8s.ObjectRef{Group: "apps", Kind: "Deployment", Name: "web", Namespace: "ns"}, Message: "object applied with warnings: deprecated API"}},
		SeenImages: []project.FixedImage{{Image: strp("nginx"), ResultImage: "nginx:1.27", Deployment: strp("Deployment/web"), Container: strp("app")}},
	}
}

// TestDocumentGolden compares the -o yaml document of a fixed scenario with
// a hand-written file in the original's layout (Kluctl v2.27 field names,
// nesting and compaction).
func TestDocumentGolden(t *testing.T) {
	want, err := os.ReadFile("testdata/command-result.golden.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := Encode(&buf, fixedDocument().Compacted(), FormatYAML); err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(string(want), buf.String()); d != "" {
		t.Errorf("document differs from the golden file (-want +got):\n%s", d)
	}
}

// TestDocumentRoundTrip reads the golden document back: the compacted
// objects expand to the original bodies.
func TestDocumentRoundTrip(t *testing.T) {
	b, err := os.ReadFile("testdata/command-result.golden.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var c CompactedCommandResult
	if err := yamlUnmarshalStrict(b, &c); err != nil {
		t.Fatal(err)
	}
	got := c.Expanded()
	want := fixedDocument()
	if d := cmp.Diff(jsonOf(t, want), jsonOf(t, got)); d != "" {
		t.Errorf("round trip (-want +got):\n%s", d)
	}
}

func jsonOf(t *testing.T, v any) any {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	var out any
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatal(err)
	}
	return out
}

// TestCompactedDeltaFromTheOriginal decodes a compacted object written by
// hand the way diff-match-patch deltas look: the remote differs from the
// rendered object in one character.
func TestCompactedDeltaFromTheOriginal(t *testing.T) {
	in := `[{"ref":{"kind":"ConfigMap","name":"cm"},"rendered":"full: {\"a\":\"1\",\"b\":true}","remote":"delta: =6\t-1\t+2\t=11","applied":"delta: =13\t-4\t+false\t=1"}]`
	var objs CompactedObjects
	if err := json.Unmarshal([]byte(in), &objs); err != nil {
		t.Fatal(err)
	}
	want := []map[string]any{{"a": "1", "b": true}, {"a": "2", "b": true}, {"a": "2", "b": false}}
	got := []map[string]any{objs[0].Rendered, objs[0].Remote, objs[0].Applied}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("decoded bodies (-want +got):\n%s", d)
	}
	for _, bad := range []string{`[{"ref":{"kind":"X","name":"x"},"rendered":"{}"}]`, `[{"ref":{"kind":"X","name":"x"},"remote":"delta: =2"}]`} {
		if err := json.Unmarshal([]byte(bad), &objs); err == nil {
			t.Errorf("decoding %s should fail", bad)
		}
	}
}

// TestCompactionChoosesShorterForm stores a body that differs a lot as
// "full:" and a similar one as "delta:".
func TestCompactionChoosesShorterForm(t *testing.T) {
	big := map[string]any{"data": strings.Repeat("x", 200)}
	objs := CompactedObjects{{
		BaseObject: BaseObject{Ref: k8s.ObjectRef{Kind: "ConfigMap", Name: "a"}},
		Rendered:   big, Remote: map[string]any{"data": strings.Repeat("x", 199) + "y"},
		Applied: map[string]any{"other": "z"},
	}}
	b, err := json.Marshal(objs)
	if err != nil {
		t.Fatal(err)
	}
	var raw []map[string]any
	if err := json.Unmarshal(b, &raw); err != nil {
		t.Fatal(err)
	}
	if r := raw[0]["remote"].(string); !strings.HasPrefix(r, "delta: ") {
		t.Errorf("a similar body should be a delta: %q", r)
	}
	if a := raw[0]["applied"].(string); a != `full: {"other":"z"}` {
		t.Errorf("a different short body should be full: %q", a)
	}
}

func TestSummaryCounts(t *testing.T) {
	doc := fixedDocument()
	doc.Objects = append(doc.Objects, ResultObject{BaseObject: BaseObject{Ref: k8s.ObjectRef{Kind: "Job", Name: "hook"}, Hook: true, Deleted: true}})
	s := doc.Summary()
	got := []int{s.RenderedObjects, s.RemoteObjects, s.AppliedObjects, s.AppliedHookObjects, s.NewObjects, s.ChangedObjects, s.OrphanObjects, s.DeletedObjects, s.TotalChanges, len(s.Errors), len(s.Warnings)}
	want := []int{2, 2, 0, 1, 1, 1, 1, 1, 1, 1, 1}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("counts (rendered remote applied hooks new changed orphan deleted changes errors warnings) (-want +got):\n%s", d)
	}
	b, _ := json.Marshal(s)
	for _, k := range []string{`"commandInfo":`, `"totalChanges":1`, `"reconcileId":""`} {
		if !strings.Contains(string(b), k) {
			t.Errorf("summary JSON lacks %s: %s", k, b)
		}
	}
}

func TestReducedKeepsOnlyIdentity(t *testing.T) {
	doc := fixedDocument()
	doc.Objects[0].Rendered = map[string]any{"apiVersion": "v1", "kind": "ConfigMap", "data": map[string]any{"a": "secret"},
		"metadata": map[string]any{"name": "cm", "namespace": "ns", "labels": map[string]any{"l": "1"}, "annotations": map[string]any{}, "uid": "u"}}
	got := doc.Reduced().Objects[0].Rendered
	want := map[string]any{"apiVersion": "v1", "kind": "ConfigMap", "metadata": map[string]any{"name": "cm", "namespace": "ns", "labels": map[string]any{"l": "1"}}}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("reduced (-want +got):\n%s", d)
	}
	if doc.Objects[0].Rendered["data"] == nil {
		t.Error("Reduced must not change the original")
	}
}

func yamlUnmarshalStrict(b []byte, v any) error { return sigsyaml.UnmarshalStrict(b, v) }
