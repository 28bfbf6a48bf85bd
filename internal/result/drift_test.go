package result

import (
	"testing"

	"github.com/kluctl-go/kluctl/internal/diff"
	"github.com/kluctl-go/kluctl/internal/k8s"
)

func driftFixture(dryRun bool) *CommandResult {
	ref := func(n string) k8s.ObjectRef {
		return k8s.ObjectRef{Version: "v1", Kind: "ConfigMap", Namespace: "ns", Name: n}
	}
	cr := &CommandResult{ID: "id"}
	cr.Command.DryRun = dryRun
	cr.Objects = []ResultObject{
		{BaseObject: BaseObject{Ref: ref("unchanged")}},
		{BaseObject: BaseObject{Ref: ref("new"), New: true}},
		{BaseObject: BaseObject{Ref: ref("changed"), Changes: []diff.Change{{Type: "update", JSONPath: "data.a"}}}},
		{BaseObject: BaseObject{Ref: ref("orphan"), Orphan: true}, Remote: map[string]any{"metadata": map[string]any{"resourceVersion": "7"}}},
		{BaseObject: BaseObject{Ref: ref("pruned"), Orphan: true, Deleted: true}},
	}
	return cr
}

func names(d *DriftDetectionResult) []string {
	var out []string
	for _, o := range d.Objects {
		out = append(out, o.Ref.Name)
	}
	return out
}

func TestDriftDetection(t *testing.T) {
	d := driftFixture(false).DriftDetection()
	if got := names(d); len(got) != 4 || got[0] != "new" || got[1] != "changed" || got[2] != "orphan" || got[3] != "pruned" {
		t.Fatalf("drifted objects = %v", got)
	}
	if d.Objects[2].LastResourceVersion != "7" {
		t.Errorf("lastResourceVersion = %q, want 7", d.Objects[2].LastResourceVersion)
	}
	if m := d.ShortMessage(); m != "1 new/1 chg/2 orp/1 del" {
		t.Errorf("message = %q", m)
	}
}

// After a deploy, what it applied is no drift; the orphans it left are.
func TestDriftAfterDeploy(t *testing.T) {
	d := driftFixture(false).DriftAfterDeploy()
	if got := names(d); len(got) != 1 || got[0] != "orphan" {
		t.Fatalf("drift after deploy = %v, want [orphan]", got)
	}
	if m := d.ShortMessage(); m != "1 orp" {
		t.Errorf("message = %q", m)
	}
	if m := (&CommandResult{}).DriftAfterDeploy().ShortMessage(); m != "no drift" {
		t.Errorf("empty deploy: message = %q", m)
	}
	// A dry-run deploy changed nothing: everything it shows is drift.
	if got := names(driftFixture(true).DriftAfterDeploy()); len(got) != 4 {
		t.Errorf("drift after a dry-run deploy = %v, want all 4", got)
	}
}
