package safetar

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/kluctl-go/kluctl/internal/testfs"
)

type tarEntry struct {
	name     string
	typ      byte
	body     string
	linkname string
}

func tarGz(t *testing.T, entries []tarEntry) []byte {
	t.Helper()
	var buf bytes.Buffer
	gz := gzip.NewWriter(&buf)
	tw := tar.NewWriter(gz)
	for _, e := range entries {
		typ := e.typ
		if typ == 0 {
			typ = tar.TypeReg
		}
		h := &tar.Header{Name: e.name, Typeflag: typ, Mode: 0o644, Linkname: e.linkname}
		switch typ {
		case tar.TypeReg:
			h.Size = int64(len(e.body))
		case tar.TypeDir:
			h.Mode = 0o755
		}
		if err := tw.WriteHeader(h); err != nil {
			t.Fatal(err)
		}
		if typ == tar.TypeReg {
			if _, err := tw.Write([]byte(e.body)); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := gz.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestExtract(t *testing.T) {
	big := strings.Repeat("x", 100)
	const skip, inside = SkipLinks, LinksInside
	for _, tc := range []struct {
		name    string
		links   Links
		entries []tarEntry
		limits  *Options
		want    map[string]string
		wantErr string
	}{
		{
			name: "files and folders, parents created",
			entries: []tarEntry{
				{name: "./", typ: tar.TypeDir},
				{name: "deployment.yml", body: "deployments: []\n"},
				{name: "a/b/c.yaml", body: "c"},
				{name: "d/", typ: tar.TypeDir},
			},
			want: map[string]string{"deployment.yml": "deployments: []\n", "a/": "", "a/b/": "", "a/b/c.yaml": "c", "d/": ""},
		},
		{
			name: "skipped: symlinks, hard links and devices",
			entries: []tarEntry{
				{name: "link", typ: tar.TypeSymlink, linkname: "/etc/passwd"},
				{name: "up", typ: tar.TypeSymlink, linkname: "../.."},
				{name: "hard", typ: tar.TypeLink, linkname: "/etc/passwd"},
				{name: "fifo", typ: tar.TypeFifo},
				{name: "up/x", body: "through the skipped link"},
			},
			want: map[string]string{"up/": "", "up/x": "through the skipped link"},
		},
		{
			name: "kept: links that stay inside", links: inside,
			entries: []tarEntry{
				{name: "base/cm.yaml", body: "cm"},
				{name: "overlay/base", typ: tar.TypeSymlink, linkname: "../base"},
				{name: "a/b/c", typ: tar.TypeSymlink, linkname: "../../base/cm.yaml"},
				{name: "same", typ: tar.TypeSymlink, linkname: "base"},
			},
			want: map[string]string{
				"base/": "", "base/cm.yaml": "cm", "overlay/": "", "overlay/base": "-> ../base",
				"a/": "", "a/b/": "", "a/b/c": "-> ../../base/cm.yaml", "same": "-> base",
			},
		},
		{name: "parent escape", entries: []tarEntry{{name: "../evil", body: "x"}}, wantErr: "leaves the archive"},
		{name: "nested escape", entries: []tarEntry{{name: "a/../../evil", body: "x"}}, wantErr: "leaves the archive"},
		{name: "absolute path", entries: []tarEntry{{name: "/etc/evil", body: "x"}}, wantErr: "absolute path"},
		{name: "backslash", entries: []tarEntry{{name: `..\evil`, body: "x"}}, wantErr: "invalid entry name"},
		{name: "too many bytes", entries: []tarEntry{{name: "a", body: big}, {name: "b", body: big}}, limits: &Options{MaxBytes: 150, MaxFiles: 10}, wantErr: "more than 150 bytes"},
		{name: "too many entries", entries: []tarEntry{{name: "a"}, {name: "b"}, {name: "c"}}, limits: &Options{MaxBytes: 1000, MaxFiles: 2}, wantErr: "more than 2 entries"},
		{name: "file over folder", entries: []tarEntry{{name: "a/", typ: tar.TypeDir}, {name: "a", body: "x"}}, wantErr: "a folder or link of that name exists"},
		{name: "folder below a file", entries: []tarEntry{{name: "a", body: "x"}, {name: "a/b", body: "y"}}, wantErr: "is not a folder"},
		{name: "absolute link", links: inside, entries: []tarEntry{{name: "l", typ: tar.TypeSymlink, linkname: "/etc/passwd"}}, wantErr: "only relative links"},
		{name: "link out", links: inside, entries: []tarEntry{{name: "l", typ: tar.TypeSymlink, linkname: "../outside"}}, wantErr: "points outside"},
		{name: "link out from below", links: inside, entries: []tarEntry{{name: "a/l", typ: tar.TypeSymlink, linkname: "../../outside"}}, wantErr: "points outside"},
		{name: "link with inner dots", links: inside, entries: []tarEntry{{name: "d", typ: tar.TypeSymlink, linkname: "."}, {name: "l", typ: tar.TypeSymlink, linkname: "d/../../evil"}}, wantErr: "allowed only at the start"},
		{name: "entry below a link", links: inside, entries: []tarEntry{{name: "d", typ: tar.TypeSymlink, linkname: "sub"}, {name: "d/evil", body: "x"}}, wantErr: "below a symlink"},
		{name: "file over a link", links: inside, entries: []tarEntry{{name: "l", typ: tar.TypeSymlink, linkname: "x"}, {name: "l", body: "x"}}, wantErr: "a folder or link of that name exists"},
		{name: "special entry", links: inside, entries: []tarEntry{{name: "fifo", typ: tar.TypeFifo}}, wantErr: "unsupported entry type"},
		{name: "hard link", links: inside, entries: []tarEntry{{name: "evil", typ: tar.TypeLink, linkname: "/etc/passwd"}}, wantErr: "unsupported entry type"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			o := Options{MaxBytes: 1 << 20, MaxFiles: 100}
			if tc.limits != nil {
				o = *tc.limits
			}
			o.Links = tc.links
			root := t.TempDir()
			dir := filepath.Join(root, "out")
			err := Extract(bytes.NewReader(tarGz(t, tc.entries)), dir, o)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("error = %v, want %q", err, tc.wantErr)
				}
				for p := range testfs.Tree(t, root) {
					if !strings.HasPrefix(p, "out/") {
						t.Errorf("%s was written outside the folder", p)
					}
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, testfs.Tree(t, dir)); diff != "" {
				t.Errorf("unpacked files (-want +got):\n%s", diff)
			}
		})
	}
}

func TestExtractRefusesWhatIsNoGzip(t *testing.T) {
	err := Extract(strings.NewReader("PK\x03\x04 a zip"), t.TempDir(), Options{MaxBytes: 100, MaxFiles: 10})
	if err == nil || !strings.Contains(err.Error(), "not a gzipped tar") {
		t.Errorf("error = %v", err)
	}
}
