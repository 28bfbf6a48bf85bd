package filelock

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"
)

func TestLockWaitsForContext(t *testing.T) {
	p := filepath.Join(t.TempDir(), "x.lock")
	unlock, err := Lock(context.Background(), p, true)
	if err != nil {
		t.Fatal(err)
	}
	defer unlock()
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	if _, err := Lock(ctx, p, false); err == nil {
		t.Fatal("a shared lock was granted while the exclusive one is held")
	}
}

func TestSharedLocksCoexist(t *testing.T) {
	p := filepath.Join(t.TempDir(), "x.lock")
	u1, err := Lock(context.Background(), p, false)
	if err != nil {
		t.Fatal(err)
	}
	defer u1()
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	u2, err := Lock(ctx, p, false)
	if err != nil {
		t.Fatalf("a second shared lock: %v", err)
	}
	u2()
}

func TestPruneKeepsRecentAndHeldEntries(t *testing.T) {
	dir := t.TempDir()
	var locks []string
	for i, age := range []time.Duration{time.Minute, 2 * time.Hour, 3 * time.Hour, 4 * time.Hour} {
		l := filepath.Join(dir, string(rune('a'+i))+".lock")
		if err := os.WriteFile(l, nil, 0o600); err != nil {
			t.Fatal(err)
		}
		old := time.Now().Add(-age)
		if err := os.Chtimes(l, old, old); err != nil {
			t.Fatal(err)
		}
		locks = append(locks, l)
	}
	// c is held by someone.
	f, err := os.OpenFile(locks[2], os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	unlock, err := Lock(context.Background(), locks[2], false)
	if err != nil {
		t.Fatal(err)
	}
	defer unlock()
	old := time.Now().Add(-3 * time.Hour)
	_ = os.Chtimes(locks[2], old, old)

	var removed []string
	Prune(locks, 1, time.Hour, func(l string) { removed = append(removed, filepath.Base(l)) })
	// a is kept (the most recent, and too young), c is held; b and d go.
	if len(removed) != 2 || removed[0] != "b.lock" || removed[1] != "d.lock" {
		t.Errorf("removed %v, want [b.lock d.lock]", removed)
	}
}
