package project

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gobwas/glob"
	"github.com/google/go-cmp/cmp"
)

func TestGitFilesRefsWithoutListing(t *testing.T) {
	for _, tc := range []struct {
		name string
		ref  *GitRef
		want []gitFilesRef
	}{
		{"default branch", nil, []gitFilesRef{{ref: map[string]any{}}}},
		{"plain branch", &GitRef{Branch: "release-1.0"}, []gitFilesRef{{fetch: &GitRef{Branch: "release-1.0"}, ref: map[string]any{"branch": "release-1.0"}, refStr: "refs/heads/release-1.0"}}},
		{"plain tag", &GitRef{Tag: "v1"}, []gitFilesRef{{fetch: &GitRef{Tag: "v1"}, ref: map[string]any{"tag": "v1"}, refStr: "refs/tags/v1"}}},
		{"commit", &GitRef{Commit: "abc"}, []gitFilesRef{{fetch: &GitRef{Commit: "abc"}, ref: map[string]any{"commit": "abc"}}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			l := &varsLoader{}
			got, err := l.gitFilesRefs(context.Background(), &GitFilesVarsSource{URL: "u", Ref: tc.ref})
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, got, cmp.AllowUnexported(gitFilesRef{})); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
	for _, ref := range []*GitRef{{Name: "main"}, {Branch: "a", Tag: "b"}, {Branch: "(a"}, {Branch: "a.*"}} {
		l := &varsLoader{}
		if _, err := l.gitFilesRefs(context.Background(), &GitFilesVarsSource{URL: "u", Ref: ref}); err == nil {
			t.Errorf("%+v: no error", ref)
		}
	}
}

func TestMatchGitFiles(t *testing.T) {
	root := t.TempDir()
	for p, content := range map[string]string{
		"a.yaml":       "x: 1\n",
		"dir/b.yaml":   "- 1\n- 2\n",
		"dir/c/d.yaml": "a: 1\n---\n---\nb: 2\n",
		"t.txt":        "v={{ v }}",
		".git/config":  "not a file of the tree",
	} {
		full := filepath.Join(root, filepath.FromSlash(p))
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(full, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	specs := []GitFileGlob{
		{Glob: "*.yaml", ParseYaml: true},
		{Glob: "dir/*.yaml", ParseYaml: true},
		{Glob: "**/*.yaml", ParseYaml: true, YamlMultiDoc: true},
		{Glob: "*.txt", Render: true},
		{Glob: "**/config"},
	}
	var globs []glob.Glob
	for _, s := range specs {
		globs = append(globs, glob.MustCompile(s.Glob, '/'))
	}
	l := &varsLoader{tpl: NewTemplates(root)}
	vars := NewVars()
	vars.Set("v", "V")
	got, sensitive, err := l.matchGitFiles(context.Background(), vars, root, specs, globs, nil)
	if err != nil || sensitive {
		t.Fatal(err)
	}
	want := []any{
		map[string]any{"file": map[string]any{"glob": "*.yaml", "parseYaml": true}, "path": "a.yaml", "size": int64(5), "content": "x: 1\n", "parsed": map[string]any{"x": int64(1)}},
		map[string]any{"file": map[string]any{"glob": "dir/*.yaml", "parseYaml": true}, "path": "dir/b.yaml", "size": int64(8), "content": "- 1\n- 2\n", "parsed": []any{int64(1), int64(2)}},
		map[string]any{"file": map[string]any{"glob": "**/*.yaml", "parseYaml": true, "yamlMultiDoc": true}, "path": "dir/c/d.yaml", "size": int64(18), "content": "a: 1\n---\n---\nb: 2\n", "parsed": []any{map[string]any{"a": int64(1)}, map[string]any{"b": int64(2)}}},
		map[string]any{"file": map[string]any{"glob": "*.txt", "render": true}, "path": "t.txt", "size": int64(9), "content": "v=V"},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}

	// A symlink out of the repository is an error.
	outside := filepath.Join(t.TempDir(), "secret.yaml")
	if err := os.WriteFile(outside, []byte("s: 1\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(outside, filepath.Join(root, "link.yaml")); err != nil {
		t.Fatal(err)
	}
	if _, _, err := l.matchGitFiles(context.Background(), vars, root, specs, globs, nil); err == nil || !strings.Contains(err.Error(), "link.yaml") {
		t.Errorf("symlink out of the repository: err = %v", err)
	}
}

func TestGitSourceFields(t *testing.T) {
	var cfg DeploymentConfig
	src := `vars:
  - git: {url: u, ref: main, path: v.yaml}
  - git: {url: u, ref: {tag: v1}, path: v.yaml}
  - gitFiles: {url: u, ref: {branch: 'rel-.*'}, files: [{glob: '**/*.yaml', render: true, parseYaml: true, yamlMultiDoc: true}]}
    targetPath: f
`
	if err := decodeStrict("deployment.yml", []byte(src), &cfg); err != nil {
		t.Fatal(err)
	}
	want := []VarsSource{
		{Git: &GitVarsSource{URL: "u", Ref: &GitRef{Name: "main"}, Path: "v.yaml"}},
		{Git: &GitVarsSource{URL: "u", Ref: &GitRef{Tag: "v1"}, Path: "v.yaml"}},
		{GitFiles: &GitFilesVarsSource{URL: "u", Ref: &GitRef{Branch: "rel-.*"}, Files: []GitFileGlob{{Glob: "**/*.yaml", Render: true, ParseYaml: true, YamlMultiDoc: true}}}, TargetPath: "f"},
	}
	if diff := cmp.Diff(want, cfg.Vars); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	if err := decodeStrict("deployment.yml", []byte("vars:\n  - gitFiles: {url: u, files: [{glob: x, parse: true}]}\n"), &cfg); err == nil {
		t.Errorf("an unknown field of gitFiles.files is accepted")
	}
}
