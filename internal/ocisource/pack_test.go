package ocisource

import (
	"bytes"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/kluctl-go/kluctl/internal/safetar"
	"github.com/kluctl-go/kluctl/internal/testfs"
)

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
			if err := safetar.Extract(bytes.NewReader(content), out, safetar.Options{MaxBytes: 1 << 20, MaxFiles: 100}); err != nil {
				t.Fatal(err)
			}
			var got []string
			for p := range testfs.Tree(t, out) {
				if strings.HasPrefix(p, "cm") {
					got = append(got, p)
				}
			}
			sort.Strings(got)
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("packed cm files (-want +got):\n%s", diff)
			}
			all := testfs.Tree(t, out)
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
