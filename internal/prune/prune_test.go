package prune_test

import (
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/kluctl-go/kluctl/internal/k8s"
	"github.com/kluctl-go/kluctl/internal/prune"
	"github.com/kluctl-go/kluctl/internal/render"
)

// scenario creates, in the test namespace:
// kept (rendered), orphan (target's, not rendered), excluded (deployed
// earlier by an item that -I app now excludes: tagged other), skipped
// (target's, skip-delete), foreign (other target's discriminator), manual
// (target's label but applied by another manager). The render includes
// only items tagged app.
func scenario(e *env) (*render.Result, string) {
	disc := "d-" + e.ns
	for _, o := range []struct {
		name, disc, manager, tag string
		ann                      map[string]string
	}{
		{"kept", disc, "kluctl", "app", nil},
		{"orphan", disc, "kluctl", "app", nil},
		{"excluded", disc, "kluctl", "other", nil},
		{"skipped", disc, "kluctl", "app", map[string]string{k8s.AnnotationSkipDelete: "true"}},
		{"foreign", "other-" + e.ns, "kluctl", "app", nil},
		{"manual", disc, "someone-else", "app", nil},
	} {
		e.applyAs(o.manager, tagged(e.cm(o.name, o.disc, o.ann), o.tag))
	}
	res := renderResult(disc,
		&render.Item{Tags: []string{"app"}, Objects: []*unstructured.Unstructured{tagged(e.cm("kept", disc, nil), "app")}},
		&render.Item{Tags: []string{"other"}, Excluded: true},
	)
	res.Inclusion = &render.Inclusion{IncludeTags: []string{"app"}}
	return res, disc
}

func tagged(o *unstructured.Unstructured, tag string) *unstructured.Unstructured {
	labels := o.GetLabels()
	if labels == nil {
		labels = map[string]string{}
	}
	labels[k8s.LabelTagPrefix+"0"] = tag
	o.SetLabels(labels)
	return o
}

func TestOrphansAndPrune(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	res, _ := scenario(e)

	orphans, _, err := prune.Orphans(e.ctx(), e.c, res, prune.DefaultOptions())
	if err != nil {
		t.Fatal(err)
	}
	if got := names(orphans); got != "orphan" {
		t.Errorf("orphans = %q, want orphan", got)
	}

	dry := prune.DefaultOptions()
	dry.DryRun = true
	r, err := prune.Prune(e.ctx(), e.c, res, dry)
	if err != nil || names(r.DeletedObjects) != "orphan" || !e.exists("orphan") {
		t.Fatalf("dry-run prune: err=%v deleted=%v, and the orphan must stay", err, r.DeletedObjects)
	}

	r, err = prune.Prune(e.ctx(), e.c, res, prune.DefaultOptions())
	if err != nil {
		t.Fatal(err)
	}
	if got := names(r.DeletedObjects); got != "orphan" {
		t.Errorf("deleted = %q, want orphan", got)
	}
	for name, want := range map[string]bool{"kept": true, "orphan": false, "excluded": true, "skipped": true, "foreign": true, "manual": true} {
		if e.exists(name) != want {
			t.Errorf("%s exists = %v, want %v", name, !want, want)
		}
	}
}

func TestDeleteTargetRemovesOnlyItsObjects(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	res, _ := scenario(e)
	r, err := prune.DeleteTarget(e.ctx(), e.c, res, prune.DefaultOptions())
	if err != nil {
		t.Fatal(err)
	}
	if got := names(r.DeletedObjects); got != "kept,orphan" {
		t.Errorf("deleted = %q, want kept,orphan", got)
	}
	for name, want := range map[string]bool{"kept": false, "orphan": false, "excluded": true, "skipped": true, "foreign": true, "manual": true} {
		if e.exists(name) != want {
			t.Errorf("%s exists = %v, want %v", name, !want, want)
		}
	}
}

func TestDeleteWithoutFiltersRemovesEveryObjectOfTheTarget(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	res, _ := scenario(e)
	res.Inclusion = nil
	r, err := prune.DeleteTarget(e.ctx(), e.c, res, prune.DefaultOptions())
	if err != nil {
		t.Fatal(err)
	}
	if got := names(r.DeletedObjects); got != "excluded,kept,orphan" {
		t.Errorf("deleted = %q, want excluded,kept,orphan", got)
	}
	for name, want := range map[string]bool{"skipped": true, "foreign": true, "manual": true} {
		if e.exists(name) != want {
			t.Errorf("%s exists = %v, want %v", name, !want, want)
		}
	}
}
