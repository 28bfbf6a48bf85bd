package gitinfo

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/go-git/go-git/v5"
	gitconfig "github.com/go-git/go-git/v5/config"
	"github.com/go-git/go-git/v5/plumbing/object"
)

func TestRepoKey(t *testing.T) {
	for in, want := range map[string]string{
		"https://GitHub.com/Org/Repo.git":         "git://github.com/org/repo",
		"git@github.com:org/repo.git":             "git://github.com/org/repo",
		"ssh://git@github.com:22/org/repo.git/":   "git://github.com/org/repo",
		"https://example.com:8443/a/b/c.git":      "git://example.com:8443/a/b/c",
		"http://user:pw@example.com:80/x/.git":    "git://example.com/x/.git",
		"https://gitlab.example.com/group/sub/pr": "git://gitlab.example.com/group/sub/pr",
	} {
		u, err := ParseURL(in)
		if err != nil {
			t.Errorf("ParseURL(%q): %v", in, err)
			continue
		}
		if got := RepoKey(u); got != want {
			t.Errorf("RepoKey(%q) = %q, want %q", in, got, want)
		}
	}
	if _, err := ParseURL("not a url"); err == nil {
		t.Error("a bare word is no git url")
	}
	u, _ := ParseURL("https://user:token123@example.com/x.git")
	if got := Redacted(u); got != "https://user@example.com/x.git" {
		t.Errorf("Redacted = %q", got)
	}
}

func TestBuild(t *testing.T) {
	root := t.TempDir()
	info, key, err := Build(root, root)
	if err != nil || info.URL != nil || key.RepoKey != "" {
		t.Fatalf("outside git: %+v %+v %v", info, key, err)
	}
	repo, err := git.PlainInit(root, false)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := repo.CreateRemote(&gitconfig.RemoteConfig{Name: "origin", URLs: []string{"git@example.com:Org/Proj.git"}}); err != nil {
		t.Fatal(err)
	}
	sub := filepath.Join(root, "deploy", "app")
	if err := os.MkdirAll(sub, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(sub, ".kluctl.yaml"), []byte("{}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	info, key, err = Build(root, sub)
	if err != nil || info.Commit != "" || info.Ref != nil || !info.Dirty || key.RepoKey != "git://example.com/org/proj" || key.SubDir != "deploy/app" {
		t.Fatalf("before the first commit: %+v %+v %v", info, key, err)
	}
	wt, _ := repo.Worktree()
	if _, err := wt.Add("deploy/app/.kluctl.yaml"); err != nil {
		t.Fatal(err)
	}
	h, err := wt.Commit("init", &git.CommitOptions{Author: &object.Signature{Name: "t", Email: "t@example.com", When: time.Now()}})
	if err != nil {
		t.Fatal(err)
	}
	info, _, err = Build(root, sub)
	if err != nil || info.Commit != h.String() || info.Ref == nil || info.Ref.Branch != "master" || info.Dirty || *info.URL != "ssh://git@example.com/Org/Proj.git" {
		t.Fatalf("after a commit: %+v %v", info, err)
	}
	if err := os.WriteFile(filepath.Join(sub, ".kluctl.yaml"), []byte("targets: []\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if info, _, _ = Build(root, sub); !info.Dirty {
		t.Error("a changed file must make the work tree dirty")
	}
}
