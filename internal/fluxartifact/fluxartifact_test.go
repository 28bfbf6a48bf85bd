package fluxartifact

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

type entry struct {
	name, body, link string
	dir              bool
}

func tarball(t *testing.T, entries ...entry) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	tw := tar.NewWriter(zw)
	for _, e := range entries {
		h := &tar.Header{Name: e.name, Mode: 0o644, Typeflag: tar.TypeReg, Size: int64(len(e.body))}
		switch {
		case e.dir:
			h.Typeflag, h.Mode, h.Size = tar.TypeDir, 0o755, 0
		case e.link != "":
			h.Typeflag, h.Linkname, h.Size = tar.TypeSymlink, e.link, 0
		}
		if err := tw.WriteHeader(h); err != nil {
			t.Fatal(err)
		}
		if h.Typeflag == tar.TypeReg {
			if _, err := tw.Write([]byte(e.body)); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func digest(b []byte) string {
	s := sha256.Sum256(b)
	return "sha256:" + hex.EncodeToString(s[:])
}

// serve serves blobs by path and counts the downloads.
func serve(t *testing.T, blobs map[string][]byte) (*httptest.Server, *int) {
	t.Helper()
	var mu sync.Mutex
	n := 0
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, ok := blobs[r.URL.Path]
		if !ok {
			http.NotFound(w, r)
			return
		}
		mu.Lock()
		n++
		mu.Unlock()
		_, _ = w.Write(b)
	}))
	t.Cleanup(srv.Close)
	return srv, &n
}

func newCache(t *testing.T, opts Options) *Cache {
	t.Helper()
	opts.Dir = filepath.Join(t.TempDir(), "artifacts")
	c, err := New(opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close() })
	return c
}

func TestGetVerifiesUnpacksAndShares(t *testing.T) {
	good := tarball(t, entry{name: "./", dir: true}, entry{name: "proj/.kluctl.yaml", body: "targets: []\n"},
		entry{name: "proj/sub/cm.yaml", body: "kind: ConfigMap\n"}, entry{name: "proj/sub/link.yaml", link: "../.kluctl.yaml"})
	srv, downloads := serve(t, map[string][]byte{"/a.tar.gz": good})
	c := newCache(t, Options{})
	ctx := context.Background()
	ref := Ref{URL: srv.URL + "/a.tar.gz", Revision: "main@sha1:abc", Digest: digest(good)}
	a, err := c.Get(ctx, ref)
	if err != nil {
		t.Fatal(err)
	}
	b, err := c.Get(ctx, ref)
	if err != nil {
		t.Fatal(err)
	}
	if a.Dir != b.Dir || *downloads != 1 {
		t.Errorf("the same digest was downloaded %d times into %s and %s", *downloads, a.Dir, b.Dir)
	}
	if a.Revision != "main@sha1:abc" {
		t.Errorf("revision %q", a.Revision)
	}
	got, err := os.ReadFile(filepath.Join(a.Dir, "proj/sub/link.yaml"))
	if err != nil || string(got) != "targets: []\n" {
		t.Errorf("unpacked link: %q %v", got, err)
	}
	// The older plain checksum works too.
	sum := strings.TrimPrefix(digest(good), "sha256:")
	if c2, err := newCache(t, Options{}).Get(ctx, Ref{URL: ref.URL, Checksum: sum}); err != nil {
		t.Errorf("checksum: %v", err)
	} else {
		c2.Release()
	}
	a.Release()
	b.Release()
}

func TestEvictsUnusedBeyondTheLimit(t *testing.T) {
	blobs := map[string][]byte{}
	var refs []Ref
	srvBlobs := map[string][]byte{}
	for _, n := range []string{"a", "b", "c"} {
		tb := tarball(t, entry{name: n + ".yaml", body: n})
		blobs[n] = tb
		srvBlobs["/"+n] = tb
	}
	srv, _ := serve(t, srvBlobs)
	for _, n := range []string{"a", "b", "c"} {
		refs = append(refs, Ref{URL: srv.URL + "/" + n, Digest: digest(blobs[n])})
	}
	c := newCache(t, Options{MaxArtifacts: 1})
	var dirs []string
	held, err := c.Get(context.Background(), refs[0])
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range refs[1:] {
		a, err := c.Get(context.Background(), r)
		if err != nil {
			t.Fatal(err)
		}
		dirs = append(dirs, a.Dir)
		a.Release()
	}
	if _, err := os.Stat(dirs[0]); !os.IsNotExist(err) {
		t.Errorf("the least recently used unused artifact was kept: %v", err)
	}
	if _, err := os.Stat(held.Dir); err != nil {
		t.Errorf("an artifact in use was removed: %v", err)
	}
	held.Release()
}

func TestBadArtifactsAreRefused(t *testing.T) {
	cases := []struct {
		name    string
		entries []entry
		want    string
	}{
		{"parent escape", []entry{{name: "../evil", body: "x"}}, "leaves the archive"},
		{"absolute", []entry{{name: "/etc/evil", body: "x"}}, "absolute path"},
		{"absolute link", []entry{{name: "l", link: "/etc/passwd"}}, "only relative links"},
		{"link out", []entry{{name: "l", link: "../outside"}}, "points outside"},
		{"link with inner dots", []entry{{name: "d", link: "."}, {name: "l", link: "d/../../x"}}, "allowed only at the start"},
		{"entry below a link", []entry{{name: "d", link: "sub"}, {name: "d/x.yaml", body: "x"}}, "below a symlink"},
		{"special file", []entry{{name: "fifo"}}, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var tb []byte
			if tc.name == "special file" {
				var buf bytes.Buffer
				zw := gzip.NewWriter(&buf)
				tw := tar.NewWriter(zw)
				_ = tw.WriteHeader(&tar.Header{Name: "fifo", Typeflag: tar.TypeFifo, Mode: 0o644})
				_ = tw.Close()
				_ = zw.Close()
				tb = buf.Bytes()
				tc.want = "unsupported entry type"
			} else {
				tb = tarball(t, tc.entries...)
			}
			srv, _ := serve(t, map[string][]byte{"/x": tb})
			c := newCache(t, Options{})
			_, err := c.Get(context.Background(), Ref{URL: srv.URL + "/x", Digest: digest(tb)})
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want one containing %q", err, tc.want)
			}
			if entries, _ := os.ReadDir(c.opts.Dir); len(entries) != 0 {
				t.Errorf("a refused artifact left %d entries in the cache", len(entries))
			}
		})
	}
}

func TestDownloadFailures(t *testing.T) {
	good := tarball(t, entry{name: "a.yaml", body: strings.Repeat("x", 4096)})
	srv, _ := serve(t, map[string][]byte{"/a": good})
	ctx := context.Background()
	for _, tc := range []struct {
		name string
		ref  Ref
		opts Options
		want string
	}{
		{"digest mismatch", Ref{URL: srv.URL + "/a", Digest: "sha256:" + strings.Repeat("0", 64)}, Options{}, "digest mismatch"},
		{"missing", Ref{URL: srv.URL + "/nope", Digest: digest(good)}, Options{}, "404"},
		{"too large", Ref{URL: srv.URL + "/a", Digest: digest(good)}, Options{MaxSize: 100}, "larger than 100 bytes"},
		{"bad digest", Ref{URL: srv.URL + "/a", Digest: "md5:abc"}, Options{}, "unsupported algorithm"},
		{"no url", Ref{Digest: digest(good)}, Options{}, "no artifact URL"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := newCache(t, tc.opts).Get(ctx, tc.ref)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want one containing %q", err, tc.want)
			}
		})
	}
	// A failed fetch is tried again by the next Get.
	blobs := map[string][]byte{}
	srv2, _ := serve(t, blobs)
	c := newCache(t, Options{})
	ref := Ref{URL: srv2.URL + "/late", Digest: digest(good)}
	if _, err := c.Get(ctx, ref); err == nil {
		t.Fatal("a missing artifact was found")
	}
	blobs["/late"] = good
	a, err := c.Get(ctx, ref)
	if err != nil {
		t.Fatalf("the retry failed: %v", err)
	}
	a.Release()
}

func TestRedact(t *testing.T) {
	if got := redact("http://user:pw@host:9090/path/a.tar.gz?token=x"); got != "http://host:9090/path/a.tar.gz" {
		t.Errorf("redact = %q", got)
	}
}
