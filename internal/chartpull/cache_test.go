package chartpull

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/kluctl-go/kluctl/internal/filelock"
)

func TestPruneCacheRemovesOnlyOldUnlockedVersions(t *testing.T) {
	dir := t.TempDir()
	mk := func(name string, age time.Duration) string {
		v := filepath.Join(dir, "https_example.com", "repo", "chart", name)
		if err := os.MkdirAll(v, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(v, "Chart.yaml"), []byte("name: chart\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(v+".lock", nil, 0o600); err != nil {
			t.Fatal(err)
		}
		old := time.Now().Add(-age)
		if err := os.Chtimes(v+".lock", old, old); err != nil {
			t.Fatal(err)
		}
		return v
	}
	fresh := mk("1.0.0", time.Minute)
	stale := mk("0.9.0", 48*time.Hour)
	busy := mk("0.8.0", 48*time.Hour)
	unlock, err := filelock.Lock(context.Background(), busy+".lock", true)
	if err != nil {
		t.Fatal(err)
	}
	defer unlock()

	PruneCache(dir, 24*time.Hour)
	for v, want := range map[string]bool{fresh: true, stale: false, busy: true} {
		_, err := os.Stat(v)
		if got := err == nil; got != want {
			t.Errorf("%s exists = %v, want %v", filepath.Base(v), got, want)
		}
	}
}
