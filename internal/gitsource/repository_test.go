package gitsource

import (
	"context"
	"testing"

	"github.com/go-git/go-git/v5/plumbing"
	"github.com/google/go-cmp/cmp"

	"github.com/kluctl-go/kluctl/internal/gitserver"
)

// TestRepositoryFollowsBranches: the mirror Repository returns lists the
// branches pushed since the last call and drops deleted ones.
func TestRepositoryFollowsBranches(t *testing.T) {
	srv, err := gitserver.Start(t.TempDir(), gitserver.Options{User: "u", Password: "p4ssw0rd"})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	for _, b := range []string{"main", "review-a"} {
		if _, err := srv.Commit("proj", b, map[string][]byte{"f": []byte(b)}, b); err != nil {
			t.Fatal(err)
		}
	}
	cache, err := New(Options{Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	defer cache.Close()
	ctx := context.Background()
	auth := &Auth{Username: "u", Password: "p4ssw0rd"}
	branches := func() []string {
		t.Helper()
		repo, release, err := cache.Repository(ctx, srv.URL("proj"), auth)
		if err != nil {
			t.Fatal(err)
		}
		defer release()
		iter, err := repo.Branches()
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		_ = iter.ForEach(func(r *plumbing.Reference) error {
			out = append(out, r.Name().Short())
			return nil
		})
		return out
	}

	if _, _, err := cache.Repository(ctx, srv.URL("proj"), nil); err == nil || containsSecret(err.Error()) {
		t.Errorf("a fetch without credentials: %v", err)
	}
	if diff := cmp.Diff([]string{"main", "review-a"}, branches()); diff != "" {
		t.Errorf("branches (-want +got):\n%s", diff)
	}
	if _, err := srv.Commit("proj", "review-b", map[string][]byte{"f": []byte("b")}, "b"); err != nil {
		t.Fatal(err)
	}
	if err := srv.DeleteBranch("proj", "review-a"); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"main", "review-b"}, branches()); diff != "" {
		t.Errorf("branches after a push and a deletion (-want +got):\n%s", diff)
	}
}
