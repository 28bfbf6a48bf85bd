package gitsource

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/kluctl-go/kluctl/internal/gitinfo"
	"github.com/kluctl-go/kluctl/internal/gitserver"
)

// serverAndCache starts a git server holding repo with one commit on
// main, and a cache that reuses fetches for an hour.
func serverAndCache(t *testing.T, opts gitserver.Options, repo string) (*gitserver.Server, *Cache) {
	t.Helper()
	srv, err := gitserver.Start(t.TempDir(), opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = srv.Close() })
	if _, err := srv.Commit(repo, "main", map[string][]byte{"f": []byte("1")}, "one"); err != nil {
		t.Fatal(err)
	}
	cache, err := New(Options{Dir: t.TempDir(), MinFetchInterval: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cache.Close() })
	return srv, cache
}

// TestRecentFetchServesOnlyTheSameCredentials: a mirror fetched with
// credentials within MinFetchInterval is not served to a caller without
// them (another tenant pointing at the same private repository).
func TestRecentFetchServesOnlyTheSameCredentials(t *testing.T) {
	srv, cache := serverAndCache(t, gitserver.Options{User: "u", Password: "p4ssw0rd"}, "private")
	ctx := context.Background()
	url := srv.URL("private")
	co, err := cache.Checkout(ctx, url, Ref{Branch: "main"}, &Auth{Username: "u", Password: "p4ssw0rd"})
	if err != nil {
		t.Fatal(err)
	}
	co.Release()

	for name, auth := range map[string]*Auth{"no credentials": nil, "a wrong password": {Username: "u", Password: "wrong"}} {
		if co, err := cache.Checkout(ctx, url, Ref{Branch: "main"}, auth); err == nil {
			co.Release()
			t.Errorf("Checkout with %s was served the private repository", name)
		}
		if _, release, err := cache.Repository(ctx, url, auth); err == nil {
			release()
			t.Errorf("Repository with %s was served the private repository", name)
		}
	}
	// The same credentials still reuse the fetch without the server.
	srv.SetDown(true)
	co, err = cache.Checkout(ctx, url, Ref{Branch: "main"}, &Auth{Username: "u", Password: "p4ssw0rd"})
	if err != nil {
		t.Fatalf("a recent fetch with the same credentials must be reused: %v", err)
	}
	co.Release()
}

// TestFailedFetchIsRemembered: within MinFetchInterval a failed fetch
// fails the callers with the same credentials right away; others ask the
// server.
func TestFailedFetchIsRemembered(t *testing.T) {
	srv, cache := serverAndCache(t, gitserver.Options{}, "r")
	ctx := context.Background()
	srv.SetDown(true)
	if _, err := cache.Checkout(ctx, srv.URL("r"), Ref{Branch: "main"}, nil); err == nil {
		t.Fatal("a fetch from a server that is down must fail")
	}
	srv.SetDown(false)
	if _, err := cache.Checkout(ctx, srv.URL("r"), Ref{Branch: "main"}, nil); err == nil || !strings.Contains(err.Error(), "not retried") {
		t.Errorf("the failure must be remembered: %v", err)
	}
	co, err := cache.Checkout(ctx, srv.URL("r"), Ref{Branch: "main"}, &Auth{Username: "other", Password: "credentials"})
	if err != nil {
		t.Fatalf("other credentials must ask the server: %v", err)
	}
	co.Release()
}

// TestFetchTimeoutAndWaiters: a server that never answers fails the fetch
// after FetchTimeout, and the callers queued behind it fail with that
// failure instead of each waiting out a fetch of their own.
func TestFetchTimeoutAndWaiters(t *testing.T) {
	var hits atomic.Int32
	stop := make(chan struct{})
	hang := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		select {
		case <-r.Context().Done():
		case <-stop:
		}
	}))
	defer hang.Close()
	defer close(stop)
	cache, err := New(Options{Dir: t.TempDir(), MinFetchInterval: time.Hour, FetchTimeout: 200 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer cache.Close()
	var wg sync.WaitGroup
	errs := make(chan error, 4)
	for range 4 {
		wg.Go(func() {
			_, err := cache.Checkout(context.Background(), hang.URL+"/r.git", Ref{Branch: "main"}, nil)
			errs <- err
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err == nil {
			t.Error("a fetch from a server that hangs must fail")
		}
	}
	if n := hits.Load(); n != 1 {
		t.Errorf("the server was asked %d times, want once", n)
	}
}

// TestWaitingForTheLockEndsWithTheContext: a caller queued behind a fetch
// gives up when its context ends.
func TestWaitingForTheLockEndsWithTheContext(t *testing.T) {
	cache, err := New(Options{Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	defer cache.Close()
	url := "https://git.example.com/org/repo.git"
	u, err := gitinfo.ParseURL(url)
	if err != nil {
		t.Fatal(err)
	}
	m := cache.mirror(gitinfo.RepoKey(u))
	defer cache.releaseMirror(m)
	if err := m.acquire(context.Background()); err != nil {
		t.Fatal(err)
	}
	defer m.release()

	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	if _, err := cache.Checkout(ctx, url, Ref{}, nil); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Checkout: %v, want the context's deadline", err)
	}
	if _, _, err := cache.Repository(ctx, url, nil); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Repository: %v, want the context's deadline", err)
	}
}
