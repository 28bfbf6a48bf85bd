package gitsource

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kluctl-go/kluctl/internal/gitserver"
)

func TestCheckoutOverHTTPWithAuth(t *testing.T) {
	srv, err := gitserver.Start(t.TempDir(), gitserver.Options{User: "u", Password: "p4ssw0rd"})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	first, err := srv.Commit("proj", "main", map[string][]byte{"a/.kluctl.yaml": []byte("{}\n"), "a/x.txt": []byte("1")}, "one")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := srv.Commit("proj", "dev", map[string][]byte{"a/x.txt": []byte("dev")}, "dev"); err != nil {
		t.Fatal(err)
	}
	cache, err := New(Options{Dir: t.TempDir(), MaxExports: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer cache.Close()
	ctx := context.Background()
	auth := &Auth{Username: "u", Password: "p4ssw0rd"}

	if _, err := cache.Checkout(ctx, srv.URL("proj"), Ref{Branch: "main"}, nil); err == nil {
		t.Fatal("a checkout without credentials must fail")
	} else if !errors.As(err, new(*Error)) || containsSecret(err.Error()) {
		t.Errorf("error: %v", err)
	}
	co, err := cache.Checkout(ctx, srv.URL("proj"), Ref{Branch: "main"}, auth)
	if err != nil {
		t.Fatal(err)
	}
	if co.Commit != first || readFile(t, filepath.Join(co.Dir, "a", "x.txt")) != "1" {
		t.Fatalf("checkout of main: %s %s", co.Commit, co.Dir)
	}
	// Concurrent checkouts of another ref share the mirror.
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for i := 0; i < 8; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c, err := cache.Checkout(ctx, srv.URL("proj"), Ref{Branch: "dev"}, auth)
			if err == nil {
				if got := readFileErr(filepath.Join(c.Dir, "a", "x.txt")); got != "dev" {
					err = errors.New("dev content: " + got)
				}
				c.Release()
			}
			errs <- err
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Error(err)
		}
	}
	second, err := srv.Commit("proj", "main", map[string][]byte{"a/x.txt": []byte("2")}, "two")
	if err != nil {
		t.Fatal(err)
	}
	co2, err := cache.Checkout(ctx, srv.URL("proj"), Ref{}, auth)
	if err != nil {
		t.Fatal(err)
	}
	if co2.Commit != second || co2.Ref.Branch != "main" || readFile(t, filepath.Join(co2.Dir, "a", "x.txt")) != "2" {
		t.Errorf("default branch after a push: %+v", co2)
	}
	// The first export is still in use and must survive eviction.
	if readFile(t, filepath.Join(co.Dir, "a", "x.txt")) != "1" {
		t.Error("an export in use was removed")
	}
	co.Release()
	co2.Release()
	if _, err := cache.Checkout(ctx, srv.URL("proj"), Ref{Branch: "nope"}, auth); err == nil {
		t.Error("a missing branch must fail")
	}
	srv.SetDown(true)
	if _, err := cache.Checkout(ctx, srv.URL("proj"), Ref{Branch: "main"}, auth); err == nil {
		t.Error("a checkout from a server that is down must fail")
	}
}

func TestMinFetchIntervalSkipsFetches(t *testing.T) {
	srv, err := gitserver.Start(t.TempDir(), gitserver.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	if _, err := srv.Commit("r", "main", map[string][]byte{"f": []byte("1")}, "one"); err != nil {
		t.Fatal(err)
	}
	cache, err := New(Options{Dir: t.TempDir(), MinFetchInterval: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	defer cache.Close()
	co, err := cache.Checkout(context.Background(), srv.URL("r"), Ref{Branch: "main"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	co.Release()
	srv.SetDown(true)
	co, err = cache.Checkout(context.Background(), srv.URL("r"), Ref{Branch: "main"}, nil)
	if err != nil {
		t.Fatalf("a recent fetch must be reused: %v", err)
	}
	co.Release()
}

func containsSecret(s string) bool { return strings.Contains(s, "p4ssw0rd") }

func readFile(t *testing.T, p string) string {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func readFileErr(p string) string {
	b, _ := os.ReadFile(p)
	return string(b)
}
