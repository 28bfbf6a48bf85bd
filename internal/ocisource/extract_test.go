package ocisource

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
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
		if typ == tar.TypeReg {
			h.Size = int64(len(e.body))
		}
		if typ == tar.TypeDir {
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

// listFiles returns the files below dir (slash paths) with their content;
// folders end in "/", symlinks are "-> target".
func listFiles(t *testing.T, dir string) map[string]string {
	t.Helper()
	out := map[string]string{}
	err := filepath.Walk(dir, func(p string, info os.FileInfo, err error) error {
		if err != nil || p == dir {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		rel = filepath.ToSlash(rel)
		switch {
		case info.Mode()&os.ModeSymlink != 0:
			l, _ := os.Readlink(p)
			out[rel] = "-> " + l
		case info.IsDir():
			out[rel+"/"] = ""
		default:
			b, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			out[rel] = string(b)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func TestUntar(t *testing.T) {
	big := strings.Repeat("x", 100)
	for _, tc := range []struct {
		name    string
		entries []tarEntry
		lim     limits
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
			name: "symlinks, hard links and devices are skipped",
			entries: []tarEntry{
				{name: "link", typ: tar.TypeSymlink, linkname: "/etc/passwd"},
				{name: "up", typ: tar.TypeSymlink, linkname: "../.."},
				{name: "hard", typ: tar.TypeLink, linkname: "/etc/passwd"},
				{name: "fifo", typ: tar.TypeFifo},
				{name: "up/x", body: "through the skipped link"},
			},
			want: map[string]string{"up/": "", "up/x": "through the skipped link"},
		},
		{name: "parent escape", entries: []tarEntry{{name: "../evil", body: "x"}}, wantErr: "leaves the archive"},
		{name: "nested escape", entries: []tarEntry{{name: "a/../../evil", body: "x"}}, wantErr: "leaves the archive"},
		{name: "absolute path", entries: []tarEntry{{name: "/etc/evil", body: "x"}}, wantErr: "absolute path"},
		{name: "too many bytes", entries: []tarEntry{{name: "a", body: big}, {name: "b", body: big}}, lim: limits{bytes: 150, files: 10}, wantErr: "more than 150 bytes"},
		{name: "too many entries", entries: []tarEntry{{name: "a"}, {name: "b"}, {name: "c"}}, lim: limits{bytes: 1000, files: 2}, wantErr: "more than 2 entries"},
		{name: "file over folder", entries: []tarEntry{{name: "a/", typ: tar.TypeDir}, {name: "a", body: "x"}}, wantErr: "a folder of that name exists"},
		{name: "folder below a file", entries: []tarEntry{{name: "a", body: "x"}, {name: "a/b", body: "y"}}, wantErr: "is not a folder"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			lim := tc.lim
			if lim.files == 0 {
				lim = limits{bytes: 1 << 20, files: 100}
			}
			root := t.TempDir()
			dir := filepath.Join(root, "out")
			err := untar(bytes.NewReader(tarGz(t, tc.entries)), dir, lim)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("error = %v, want %q", err, tc.wantErr)
				}
				if _, err := os.Stat(filepath.Join(root, "evil")); err == nil {
					t.Errorf("a file was written outside the folder")
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, listFiles(t, dir)); diff != "" {
				t.Errorf("unpacked files (-want +got):\n%s", diff)
			}
		})
	}
}

func TestUntarRefusesWhatIsNoGzip(t *testing.T) {
	err := untar(strings.NewReader("PK\x03\x04 a zip"), t.TempDir(), limits{bytes: 100, files: 10})
	if err == nil || !strings.Contains(err.Error(), "not a gzipped tar") {
		t.Errorf("error = %v", err)
	}
}

func TestPackLeavesOutIgnoredFilesAndSymlinks(t *testing.T) {
	for _, tc := range []struct {
		gitignore string
		want      []string
	}{
		// The cases of the original's TestOciPushWithGitignore.
		{"cm/configmap-cm1.yml", []string{"cm/", "cm/configmap-cm2.yml"}},
		{"cm/configmap-cm2.yml", []string{"cm/", "cm/configmap-cm1.yml"}},
		{"cm/configmap-*", []string{"cm/"}},
		{"cm/configmap-*\n!cm/configmap-cm1.yml", []string{"cm/", "cm/configmap-cm1.yml"}},
		{"cm\n!cm/configmap-cm1.yml", []string{"cm/", "cm/configmap-cm1.yml"}}, // cm/ made for the file
		{"# nothing\n", []string{"cm/", "cm/configmap-cm1.yml", "cm/configmap-cm2.yml"}},
	} {
		t.Run(tc.gitignore, func(t *testing.T) {
			dir := t.TempDir()
			for p, c := range map[string]string{
				"deployment.yml": "deployments:\n  - path: cm\n", ".gitignore": tc.gitignore,
				"cm/configmap-cm1.yml": "cm1", "cm/configmap-cm2.yml": "cm2",
				".git/HEAD": "ref: refs/heads/main\n", "sub/.gitignore": "*.tmp\n", "sub/x.tmp": "x", "sub/keep.yml": "k",
			} {
				writeTestFile(t, filepath.Join(dir, p), c)
			}
			if err := os.Symlink("/etc/passwd", filepath.Join(dir, "link")); err != nil {
				t.Fatal(err)
			}
			content, err := Pack(dir)
			if err != nil {
				t.Fatal(err)
			}
			out := filepath.Join(t.TempDir(), "out")
			if err := untar(bytes.NewReader(content), out, limits{bytes: 1 << 20, files: 100}); err != nil {
				t.Fatal(err)
			}
			var got []string
			for p := range listFiles(t, out) {
				if strings.HasPrefix(p, "cm") {
					got = append(got, p)
				}
			}
			sort.Strings(got)
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("packed cm files (-want +got):\n%s", diff)
			}
			all := listFiles(t, out)
			for _, p := range []string{".git/", ".git/HEAD", "link", "sub/x.tmp"} {
				if _, ok := all[p]; ok {
					t.Errorf("%s was packed", p)
				}
			}
			for _, p := range []string{"deployment.yml", ".gitignore", "sub/keep.yml"} {
				if _, ok := all[p]; !ok {
					t.Errorf("%s is missing", p)
				}
			}
		})
	}
}

func writeTestFile(t *testing.T, p, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}
