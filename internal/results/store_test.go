package results

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/uuid"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/kluctl-go/kluctl/internal/diff"
	"github.com/kluctl-go/kluctl/internal/k8s"
	"github.com/kluctl-go/kluctl/internal/result"
	"github.com/kluctl-go/kluctl/internal/simcluster"
)

func testStore(t *testing.T, opts Options) (*Store, context.Context) {
	t.Helper()
	c, err := k8s.NewClients(simcluster.Current(t).RESTConfig())
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	t.Cleanup(cancel)
	return New(c, opts), ctx
}

// doc returns a command result of project/target with n objects whose
// bodies hold size bytes of incompressible data each.
func doc(project, target string, start time.Time, n, size int) *result.CommandResult {
	cr := &result.CommandResult{
		ID:         uuid.NewString(),
		ProjectKey: result.ProjectKey{RepoKey: "git://example.com/org/" + project},
		TargetKey:  result.TargetKey{TargetName: target, ClusterID: "c1"},
		Target:     result.Target{Name: target},
		Command:    result.CommandInfo{Initiator: result.InitiatorCommandLine, Command: "deploy", StartTime: metav1.NewTime(start), EndTime: metav1.NewTime(start)},
	}
	for i := 0; i < n; i++ {
		body := map[string]any{"apiVersion": "v1", "kind": "ConfigMap", "metadata": map[string]any{"name": fmt.Sprintf("cm%d", i), "namespace": "ns"},
			"data": map[string]any{"blob": randomText(size)}}
		o := result.ResultObject{BaseObject: result.BaseObject{Ref: k8s.ObjectRef{Version: "v1", Kind: "ConfigMap", Name: fmt.Sprintf("cm%d", i), Namespace: "ns"}}, Rendered: body, Applied: body}
		if i == 0 {
			o.Changes = []diff.Change{{Type: "update", JSONPath: "data.blob", UnifiedDiff: "-a\n+b", OldValue: "a", NewValue: "b"}}
		}
		cr.Objects = append(cr.Objects, o)
	}
	return cr
}

func TestWriteListGetWatchCleanup(t *testing.T) {
	ns := "results-" + strings.ToLower(uuid.NewString()[:8])
	st, ctx := testStore(t, Options{Namespace: ns, KeepCommandResults: 3})
	wctx, stopWatch := context.WithCancel(ctx)
	defer stopWatch()
	project := "proj-" + ns
	target := result.TargetKey{TargetName: "prod", ClusterID: "c1"}
	events, err := st.WatchCommandResultSummaries(wctx, Filter{Target: &target})
	if err != nil {
		t.Fatal(err)
	}

	base := time.Now().Add(-time.Hour).Truncate(time.Second)
	var written []*result.CommandResult
	for i := 0; i < 5; i++ {
		cr := doc(project, "prod", base.Add(time.Duration(i)*time.Minute), 3, 100)
		warnings, err := st.WriteCommandResult(ctx, cr)
		if err != nil || len(warnings) != 0 {
			t.Fatalf("write %d: %v %v", i, warnings, err)
		}
		written = append(written, cr)
	}
	// Another target of the same project and another project are not
	// cleaned up with it.
	other := doc(project, "test", base, 1, 10)
	foreign := doc("other-"+ns, "prod", base, 1, 10)
	for _, cr := range []*result.CommandResult{other, foreign} {
		if _, err := st.WriteCommandResult(ctx, cr); err != nil {
			t.Fatal(err)
		}
	}

	pk := written[0].ProjectKey
	l, err := st.ListCommandResultSummaries(ctx, Filter{Project: &pk, Target: &target})
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, s := range l {
		ids = append(ids, s.ID)
	}
	want := []string{written[4].ID, written[3].ID, written[2].ID}
	if strings.Join(ids, ",") != strings.Join(want, ",") {
		t.Errorf("kept %v, want the newest three %v", ids, want)
	}
	for _, cr := range []*result.CommandResult{other, foreign} {
		if _, err := st.GetCommandResult(ctx, cr.ID, true); err != nil {
			t.Errorf("result of another target or project was removed: %v", err)
		}
	}
	if l[0].RenderedObjects != 3 || l[0].ChangedObjects != 1 || l[0].TotalChanges != 1 {
		t.Errorf("summary counts: %+v", l[0])
	}

	got, err := st.GetCommandResult(ctx, written[4].ID, false)
	if err != nil || len(got.Objects) != 3 || got.Objects[1].Rendered["data"] == nil {
		t.Fatalf("get: %v %+v", err, got)
	}
	red, err := st.GetCommandResult(ctx, written[4].ID, true)
	if err != nil || red.Objects[1].Rendered["data"] != nil || red.Objects[1].Rendered["metadata"] == nil {
		t.Fatalf("get reduced: %v %+v", err, red)
	}
	var nf *NotFoundError
	if _, err := st.GetCommandResult(ctx, uuid.NewString(), false); err == nil || !asNotFound(err, &nf) {
		t.Errorf("unknown id: %v", err)
	}

	// The watch saw every write of the target (including the ones cleaned
	// up later), and sees deletes.
	seen := map[string]bool{}
	deadline := time.After(30 * time.Second)
	for len(seen) < 5 {
		select {
		case ev := <-events:
			if !ev.Delete {
				seen[ev.Summary.ID] = true
			}
		case <-deadline:
			t.Fatalf("watch saw %d of 5 writes", len(seen))
		}
	}
	if err := st.DeleteCommandResult(ctx, written[4].ID); err != nil {
		t.Fatal(err)
	}
	for {
		select {
		case ev := <-events:
			if ev.Delete && ev.Summary.ID == written[4].ID {
				stopWatch()
				for range events { // the channel closes when the watch ends
				}
				return
			}
		case <-time.After(30 * time.Second):
			t.Fatal("watch did not report the delete")
		}
	}
}

func asNotFound(err error, target **NotFoundError) bool {
	nf, ok := err.(*NotFoundError)
	*target = nf
	return ok
}

// TestLargeResultIsReduced writes a result far larger than a Secret: it is
// stored with reduced objects, the summary still counts the full result.
func TestLargeResultIsReduced(t *testing.T) {
	ns := "results-" + strings.ToLower(uuid.NewString()[:8])
	st, ctx := testStore(t, Options{Namespace: ns})
	cr := doc("big", "prod", time.Now(), 600, 4000) // 2.4 MB of random hex, ~1.2 MB compressed
	warnings, err := st.WriteCommandResult(ctx, cr)
	if err != nil {
		t.Fatalf("large result not stored: %v", err)
	}
	if len(warnings) != 1 || !strings.Contains(warnings[0], "too large") {
		t.Errorf("want a warning about the reduction: %v", warnings)
	}
	got, err := st.GetCommandResult(ctx, cr.ID, false)
	if err != nil {
		t.Fatal(err)
	}
	if len(got.Objects) == 0 || got.Objects[0].Rendered["data"] != nil || len(got.Objects[0].Changes) != 1 {
		t.Errorf("stored objects should be reduced to metadata, keeping changes: %+v", got.Objects[0])
	}
	l, err := st.ListCommandResultSummaries(ctx, Filter{Project: &cr.ProjectKey})
	if err != nil || len(l) != 1 || l[0].RenderedObjects != 600 || len(l[0].Warnings) != 1 {
		t.Errorf("summary of the reduced result: %+v %v", l, err)
	}
}

func TestValidateResults(t *testing.T) {
	ns := "results-" + strings.ToLower(uuid.NewString()[:8])
	st, ctx := testStore(t, Options{Namespace: ns})
	key := result.TargetKey{TargetName: "prod", ClusterID: "c1"}
	var ids []string
	for i := 0; i < 3; i++ {
		v := &result.ValidateDocument{ID: uuid.NewString(), ProjectKey: result.ProjectKey{RepoKey: "git://example.com/org/v" + ns}, TargetKey: key,
			StartTime: metav1.NewTime(time.Now()), EndTime: metav1.NewTime(time.Now()), Ready: i%2 == 0,
			Errors: []result.DeploymentError{{Ref: k8s.ObjectRef{Kind: "Deployment", Name: "web"}, Message: "not ready"}}}
		if _, err := st.WriteValidateResult(ctx, v); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, v.ID)
	}
	l, err := st.ListValidateResultSummaries(ctx, Filter{Target: &key})
	if err != nil || len(l) != 2 || l[0].ID != ids[2] || l[1].ID != ids[1] || l[0].Errors != 1 || !l[0].Ready {
		t.Fatalf("validate summaries: %+v %v", l, err)
	}
	v, err := st.GetValidateResult(ctx, ids[2])
	if err != nil || v.Errors[0].Message != "not ready" {
		t.Fatalf("get validate result: %+v %v", v, err)
	}
}

func TestSecretName(t *testing.T) {
	id := "0b6d7a52-5b5e-4a3c-9c8f-2f0b8b3f6a11"
	for key, want := range map[string]string{
		"":                             "cr-" + id,
		"git://github.com/org/my_repo": "cr-my-repo-" + id,
		"git://github.com/org/a.very.long.repository-name-beyond-limits": "cr-averylongrepository-nam-" + id,
	} {
		got := secretName("cr", id, result.ProjectKey{RepoKey: key})
		if got != want || len(got) > 63 {
			t.Errorf("secretName(%q) = %q (%d), want %q", key, got, len(got), want)
		}
	}
}

// randomText is n characters that do not compress well.
func randomText(n int) string {
	b := make([]byte, n/2+1)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)[:n]
}

// Results written without the key label (by the original or an older
// version) are cleaned up with those of their project and target; the
// cleanup never touches another project's.
func TestCleanupIncludesResultsWithoutKeyLabel(t *testing.T) {
	ns := "results-" + strings.ToLower(uuid.NewString()[:8])
	st, ctx := testStore(t, Options{Namespace: ns, KeepCommandResults: 2})
	project := "proj-" + ns
	base := time.Now().Add(-time.Hour).Truncate(time.Second)
	legacy := doc(project, "prod", base, 1, 10)
	foreignLegacy := doc("other-"+ns, "prod", base, 1, 10)
	for _, cr := range []*result.CommandResult{legacy, foreignLegacy} {
		if _, err := st.WriteCommandResult(ctx, cr); err != nil {
			t.Fatal(err)
		}
		name := secretName("cr", cr.ID, cr.ProjectKey)
		patch := []byte(`{"metadata":{"labels":{"` + LabelResultKey + `":null}}}`)
		if _, err := st.c.Metadata.Resource(secretsGVR).Namespace(ns).Patch(ctx, name, "application/merge-patch+json", patch, metav1.PatchOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	var newer []*result.CommandResult
	for i := 1; i <= 2; i++ {
		cr := doc(project, "prod", base.Add(time.Duration(i)*time.Minute), 1, 10)
		if _, err := st.WriteCommandResult(ctx, cr); err != nil {
			t.Fatal(err)
		}
		newer = append(newer, cr)
	}
	if _, err := st.GetCommandResult(ctx, legacy.ID, true); err == nil {
		t.Error("the old result without the key label was not cleaned up")
	}
	for _, cr := range append(newer, foreignLegacy) {
		if _, err := st.GetCommandResult(ctx, cr.ID, true); err != nil {
			t.Errorf("result %s was removed: %v", cr.ID, err)
		}
	}
}

// TestWatchListsOldestFirst: a watcher gets the stored results in the
// order they were stored, also those of one second, so that later results
// arrive after them.
func TestWatchListsOldestFirst(t *testing.T) {
	ns := "results-" + strings.ToLower(uuid.NewString()[:8])
	st, ctx := testStore(t, Options{Namespace: ns, KeepCommandResults: 10})
	project := "proj-" + ns
	same := time.Now().Truncate(time.Second)
	var want []string
	// Two of an earlier second written last, then three of one second.
	for _, start := range []time.Time{same, same, same} {
		cr := doc(project, "prod", start, 1, 10)
		if _, err := st.WriteCommandResult(ctx, cr); err != nil {
			t.Fatal(err)
		}
		want = append(want, cr.ID)
	}
	var earlier []string
	for i := 0; i < 2; i++ {
		cr := doc(project, "prod", same.Add(-time.Minute), 1, 10)
		if _, err := st.WriteCommandResult(ctx, cr); err != nil {
			t.Fatal(err)
		}
		earlier = append(earlier, cr.ID)
	}
	want = append(earlier, want...)
	wctx, stop := context.WithCancel(ctx)
	defer stop()
	events, err := st.WatchCommandResultSummaries(wctx, Filter{})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for len(got) < len(want) {
		ev := <-events
		if ev.Summary.ProjectKey.RepoKey == "git://example.com/org/"+project {
			got = append(got, ev.Summary.ID)
		}
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("watch order (-want +got):\n%s", diff)
	}
}

// A watch that lists again (its watch fell behind or failed) reports the
// results deleted meanwhile, then the listed ones.
func TestWatchRelistReportsDeletions(t *testing.T) {
	ns := "results-" + strings.ToLower(uuid.NewString()[:8])
	st, ctx := testStore(t, Options{Namespace: ns, KeepCommandResults: 10})
	project := "proj-" + ns
	var ids []string
	for i := 0; i < 3; i++ {
		cr := doc(project, "prod", time.Now().Add(time.Duration(i)*time.Second), 1, 10)
		if _, err := st.WriteCommandResult(ctx, cr); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, cr.ID)
	}
	w := &summaryWatch[result.CommandResultSummary]{s: st, k: commandKind, f: Filter{Project: &result.ProjectKey{RepoKey: "git://example.com/org/" + project}},
		ns: ns, ch: make(chan CommandResultEvent, 16), known: map[string]result.CommandResultSummary{}}
	events := func() []string {
		var out []string
		for {
			select {
			case ev := <-w.ch:
				op := "put "
				if ev.Delete {
					op = "delete "
				}
				out = append(out, op+ev.Summary.ID)
			default:
				return out
			}
		}
	}
	list := func() []metav1.PartialObjectMetadata {
		_, items, err := st.listWithVersion(ctx, commandKind.label, ns)
		if err != nil {
			t.Fatal(err)
		}
		return items
	}
	if !w.sync(ctx, list()) {
		t.Fatal("sync stopped")
	}
	if diff := cmp.Diff([]string{"put " + ids[0], "put " + ids[1], "put " + ids[2]}, events()); diff != "" {
		t.Errorf("first list (-want +got):\n%s", diff)
	}
	if err := st.DeleteCommandResult(ctx, ids[1]); err != nil {
		t.Fatal(err)
	}
	if !w.sync(ctx, list()) {
		t.Fatal("sync stopped")
	}
	if diff := cmp.Diff([]string{"delete " + ids[1], "put " + ids[0], "put " + ids[2]}, events()); diff != "" {
		t.Errorf("relist after a deletion (-want +got):\n%s", diff)
	}
	if len(w.known) != 2 {
		t.Errorf("the watch remembers %d results, want 2", len(w.known))
	}
}
