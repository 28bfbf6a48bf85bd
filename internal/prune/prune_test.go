package prune_test

import (
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/kluctl-go/kluctl/internal/k8s"
	"github.com/kluctl-go/kluctl/internal/prune"
	"github.com/kluctl-go/kluctl/internal/render"
)

// scenario creates, in the test namespace:
// kept (rendered), orphan (target's, not rendered), excluded (rendered by an
// excluded item), skipped (target's, skip-delete), foreign (other target's
// discriminator), manual (target's label but applied by another manager).
func scenario(e *env) (*render.Result, string) {
	disc := "d-" + e.ns
	for _, o := range []struct {
		name, disc, manager string
		ann                 map[string]string
	}{
		{"kept", disc, "kluctl", nil},
		{"orphan", disc, "kluctl", nil},
		{"excluded", disc, "kluctl", nil},
		{"skipped", disc, "kluctl", map[string]string{k8s.AnnotationSkipDelete: "true"}},
		{"foreign", "other-" + e.ns, "kluctl", nil},
		{"manual", disc, "someone-else", nil},
	} {
		e.applyAs(o.manager, e.cm(o.name, o.disc, o.ann))
	}
	res := renderResult(disc,
		&render.Item{Objects: []*unstructured.Unstructured{e.cm("kept", disc, nil)}},
		&render.Item{Excluded: true, Objects: []*unstructured.Unstructured{e.cm("excluded", disc, nil)}},
	)
	return res, disc
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
