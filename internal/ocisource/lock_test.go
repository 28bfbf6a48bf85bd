package ocisource

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
)

// TestPruneKeepsRecentAndInUseArtifacts: beyond the bound, artifacts
// unused for an hour go, unless a process holds them.
func TestPruneKeepsRecentAndInUseArtifacts(t *testing.T) {
	dir := t.TempDir()
	c := newCache(t, dir)
	ctx := context.Background()
	var releases []func()
	for i := range 5 {
		h := v1.Hash{Algorithm: "sha256", Hex: fmt.Sprintf("%064d", i)}
		_, _, release, err := c.open(ctx, h, func(d string) ([]byte, error) {
			return []byte(`{}`), os.MkdirAll(d, 0o755)
		})
		if err != nil {
			t.Fatal(err)
		}
		releases = append(releases, release)
		// Artifact i was last used i+1 hours ago, except artifact 4.
		if i != 4 {
			old := time.Now().Add(-time.Duration(i+1) * time.Hour)
			if err := os.Chtimes(filepath.Join(dir, "artifacts", h.Hex+".lock"), old, old); err != nil {
				t.Fatal(err)
			}
		}
	}
	// Artifact 3 stays in use; the others are released.
	for i, r := range releases {
		if i != 3 {
			r()
		}
	}
	prune(dir, 1)
	var left []string
	entries, _ := os.ReadDir(filepath.Join(dir, "artifacts"))
	for _, e := range entries {
		if e.IsDir() {
			left = append(left, strings.TrimLeft(e.Name(), "0"))
		}
	}
	// 4 is recent, 3 in use; 0 is the most recent of the others but
	// beyond the bound of one and an hour old.
	if strings.Join(left, ",") != "3,4" {
		t.Errorf("artifacts left: %v, want 3 and 4", left)
	}
	releases[3]()
}
