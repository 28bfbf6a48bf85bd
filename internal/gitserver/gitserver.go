// Package gitserver serves git repositories over http on loopback for
// tests: the real git http-backend behind net/http/cgi, with basic auth.
// Repositories are bare repositories in a folder; Commit writes files into
// one as a new commit.
package gitserver

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/cgi"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/go-git/go-git/v5"
	gitconfig "github.com/go-git/go-git/v5/config"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/object"
)

// Server is a running git http server.
type Server struct {
	root     string
	user     string
	password string
	srv      *http.Server
	ln       net.Listener
	mu       sync.Mutex
	down     bool
}

// Options configure Start.
type Options struct {
	// User and Password protect every repository; empty means no auth.
	User, Password string
	// Addr is the loopback address to listen on; empty picks a free port.
	Addr string
}

// Start serves the bare repositories below root on a loopback port.
func Start(root string, opts Options) (*Server, error) {
	out, err := exec.Command("git", "--exec-path").Output()
	if err != nil {
		return nil, fmt.Errorf("find git's exec path (is git installed?): %w", err)
	}
	backend := filepath.Join(strings.TrimSpace(string(out)), "git-http-backend")
	if _, err := os.Stat(backend); err != nil {
		return nil, fmt.Errorf("git http-backend not found: %w", err)
	}
	addr := opts.Addr
	if addr == "" {
		addr = "127.0.0.1:0"
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, err
	}
	s := &Server{root: root, user: opts.User, password: opts.Password, ln: ln}
	h := &cgi.Handler{
		Path: backend,
		Dir:  root,
		Env:  []string{"GIT_PROJECT_ROOT=" + root, "GIT_HTTP_EXPORT_ALL=1", "REMOTE_USER=test"},
		// git's complaints about unknown repositories are answered as
		// 404s; they need not reach the test output.
		Stderr: io.Discard,
	}
	s.srv = &http.Server{Handler: s.auth(h), ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = s.srv.Serve(ln) }()
	return s, nil
}

func (s *Server) auth(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		down := s.down
		s.mu.Unlock()
		if down {
			http.Error(w, "server is down", http.StatusServiceUnavailable)
			return
		}
		if s.user != "" {
			u, p, ok := r.BasicAuth()
			if !ok || u != s.user || p != s.password {
				w.Header().Set("WWW-Authenticate", `Basic realm="git"`)
				http.Error(w, "unauthorized", http.StatusUnauthorized)
				return
			}
		}
		next.ServeHTTP(w, r)
	})
}

// URL returns the clone URL of repository name.
func (s *Server) URL(name string) string {
	return "http://" + s.ln.Addr().String() + "/" + name + ".git"
}

// SetDown makes every request fail (true) or work again (false).
func (s *Server) SetDown(down bool) {
	s.mu.Lock()
	s.down = down
	s.mu.Unlock()
}

// Close stops the server.
func (s *Server) Close() error {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	return s.srv.Shutdown(ctx)
}

// Commit writes files (slash paths; a nil content deletes) into branch of
// repository name as one new commit, creating the bare repository and the
// branch when missing, and returns the commit hash.
func (s *Server) Commit(name, branch string, files map[string][]byte, message string) (string, error) {
	bare := filepath.Join(s.root, name+".git")
	if _, err := os.Stat(bare); errors.Is(err, os.ErrNotExist) {
		if _, err := git.PlainInitWithOptions(bare, &git.PlainInitOptions{Bare: true, InitOptions: git.InitOptions{DefaultBranch: plumbing.NewBranchReferenceName(branch)}}); err != nil {
			return "", err
		}
	}
	work, err := os.MkdirTemp("", "gitserver-work-")
	if err != nil {
		return "", err
	}
	defer os.RemoveAll(work)
	repo, err := git.PlainInit(work, false)
	if err != nil {
		return "", err
	}
	if _, err := repo.CreateRemote(&gitconfig.RemoteConfig{Name: "origin", URLs: []string{bare}}); err != nil {
		return "", err
	}
	ref := plumbing.NewBranchReferenceName(branch)
	wt, err := repo.Worktree()
	if err != nil {
		return "", err
	}
	fetchErr := repo.Fetch(&git.FetchOptions{RefSpecs: []gitconfig.RefSpec{gitconfig.RefSpec("+" + ref.String() + ":refs/remotes/origin/" + branch)}})
	switch {
	case fetchErr == nil || errors.Is(fetchErr, git.NoErrAlreadyUpToDate):
		remoteRef, err := repo.Reference(plumbing.NewRemoteReferenceName("origin", branch), true)
		if err != nil {
			return "", err
		}
		if err := wt.Checkout(&git.CheckoutOptions{Hash: remoteRef.Hash(), Branch: ref, Create: true}); err != nil {
			return "", err
		}
	default:
		// An empty repository or a new branch: start from nothing.
		if err := repo.Storer.SetReference(plumbing.NewSymbolicReference(plumbing.HEAD, ref)); err != nil {
			return "", err
		}
	}
	for p, content := range files {
		full := filepath.Join(work, filepath.FromSlash(p))
		if content == nil {
			if _, err := wt.Remove(p); err != nil {
				return "", err
			}
			continue
		}
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			return "", err
		}
		if err := os.WriteFile(full, content, 0o644); err != nil {
			return "", err
		}
		if _, err := wt.Add(p); err != nil {
			return "", err
		}
	}
	h, err := wt.Commit(message, &git.CommitOptions{AllowEmptyCommits: true, Author: &object.Signature{Name: "test", Email: "test@example.com", When: time.Now()}})
	if err != nil {
		return "", err
	}
	if err := repo.Push(&git.PushOptions{RemoteName: "origin", RefSpecs: []gitconfig.RefSpec{gitconfig.RefSpec(ref.String() + ":" + ref.String())}, Force: true}); err != nil {
		return "", err
	}
	return h.String(), nil
}

// CommitDir commits every file below dir into branch of repository name,
// below prefix.
func (s *Server) CommitDir(name, branch, dir, prefix, message string) (string, error) {
	files := map[string][]byte{}
	err := filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, err := filepath.Rel(dir, p)
		if err != nil {
			return err
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		files[filepath.ToSlash(filepath.Join(prefix, rel))] = b
		return nil
	})
	if err != nil {
		return "", err
	}
	return s.Commit(name, branch, files, message)
}
