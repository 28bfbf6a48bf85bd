package projectargs

import (
	"context"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"

	"github.com/kluctl-go/kluctl/internal/cli/factory"
	"github.com/kluctl-go/kluctl/internal/gitsource"
	"github.com/kluctl-go/kluctl/internal/project"
)

// gitFetcher returns the engine's git include fetcher: a cache shared by
// every kluctl process of the user (made on first use), the credentials
// of the --git-* flags, the KLUCTL_GIT_<idx>_* variables and the user's ssh
// setup, and the local overrides.
func (f *Flags) gitFetcher(fa *factory.Factory) (func(context.Context, string, *project.GitRef) (*project.RemoteSource, func(), error), error) {
	var overrides []gitsource.Override
	for _, o := range []struct {
		vals  []string
		group bool
		flag  string
	}{{f.Compat.LocalGitOverride, false, "--local-git-override"}, {f.Compat.LocalGitGroupOverride, true, "--local-git-group-override"}} {
		for _, v := range o.vals {
			ov, err := gitsource.ParseOverride(v, o.group)
			if err != nil {
				return nil, fmt.Errorf("invalid %s: %w", o.flag, err)
			}
			if ov.Dir, err = fa.Abs(fa.ExpandHome(ov.Dir)); err != nil {
				return nil, err
			}
			overrides = append(overrides, ov)
		}
	}
	creds, err := f.gitCredentials(fa)
	if err != nil {
		return nil, err
	}
	var once sync.Once
	var inc *gitsource.Includes
	var initErr error
	return func(ctx context.Context, url string, ref *project.GitRef) (*project.RemoteSource, func(), error) {
		once.Do(func() {
			dir := gitCacheDir(fa.Getenv)
			if err := os.MkdirAll(dir, 0o700); err != nil {
				initErr = fmt.Errorf("git cache: %w", err)
				return
			}
			c, err := gitsource.New(gitsource.Options{Dir: dir, Shared: true, MinFetchInterval: f.Compat.GitCacheUpdateInterval})
			if err != nil {
				initErr = fmt.Errorf("git cache: %w", err)
				return
			}
			inc = &gitsource.Includes{Cache: c, Overrides: overrides, Auth: func(_ context.Context, url string) (*gitsource.Auth, error) { return creds.For(url) }}
		})
		if initErr != nil {
			return nil, nil, initErr
		}
		return inc.Fetch(ctx, url, ref)
	}, nil
}

// gitCacheDir is $KLUCTL_CACHE_DIR/git, else the user's cache folder
// ($XDG_CACHE_HOME or ~/.cache) /kluctl/git.
func gitCacheDir(getenv func(string) string) string {
	if d := getenv("KLUCTL_CACHE_DIR"); d != "" {
		return filepath.Join(d, "git")
	}
	if d := getenv("XDG_CACHE_HOME"); d != "" {
		return filepath.Join(d, "kluctl", "git")
	}
	if h := getenv("HOME"); h != "" {
		return filepath.Join(h, ".cache", "kluctl", "git")
	}
	return filepath.Join(os.TempDir(), "kluctl-cache", "git")
}

// gitCredentials collects the git credentials: flags first, then the
// KLUCTL_GIT_* variables, then the user's ssh agent and default keys for
// ssh URLs. Entries without known_hosts use ~/.ssh/known_hosts.
func (f *Flags) gitCredentials(fa *factory.Factory) (gitsource.Credentials, error) {
	type entry struct {
		host, path string
		auth       gitsource.Auth
	}
	var order []string
	byKey := map[string]*entry{}
	get := func(flag, s string) (*entry, string, error) {
		key, val, ok := strings.Cut(s, "=")
		if !ok || key == "" {
			return nil, "", fmt.Errorf("invalid --%s: expected the form <host>/<path>=<value>", flag)
		}
		e := byKey[key]
		if e == nil {
			host, path, _ := strings.Cut(key, "/")
			e = &entry{host: host, path: path}
			byKey[key] = e
			order = append(order, key)
		}
		return e, val, nil
	}
	readFile := func(flag, p string) ([]byte, error) { return readFlagFile(fa, flag, p) }
	for _, fl := range []struct {
		name string
		vals []string
		set  func(e *entry, v string) error
	}{
		{"git-username", f.Compat.GitUsername, func(e *entry, v string) error { e.auth.Username = v; return nil }},
		{"git-password", f.Compat.GitPassword, func(e *entry, v string) error { e.auth.Password = v; return nil }},
		{"git-ssh-key-file", f.Compat.GitSSHKeyFile, func(e *entry, v string) (err error) {
			e.auth.SSHKey, err = readFile("git-ssh-key-file", v)
			return err
		}},
		{"git-ssh-known-hosts-file", f.Compat.GitSSHKnownHostsFile, func(e *entry, v string) (err error) {
			e.auth.KnownHosts, err = readFile("git-ssh-known-hosts-file", v)
			return err
		}},
		{"git-ca-file", f.Compat.GitCAFile, func(e *entry, v string) (err error) {
			e.auth.CABundle, err = readFile("git-ca-file", v)
			return err
		}},
	} {
		for _, s := range fl.vals {
			e, v, err := get(fl.name, s)
			if err != nil {
				return nil, err
			}
			if err := fl.set(e, v); err != nil {
				return nil, err
			}
		}
	}
	var entries []*entry
	for _, k := range order {
		entries = append(entries, byKey[k])
	}
	for _, set := range envCredSets(fa.Getenv, "KLUCTL_GIT", []string{"HOST", "PATH", "PATH_PREFIX", "USERNAME", "PASSWORD", "SSH_KEY", "CA_BUNDLE"}) {
		if set["HOST"] == "" {
			continue
		}
		e := &entry{host: set["HOST"], path: set["PATH"], auth: gitsource.Auth{Username: set["USERNAME"], Password: set["PASSWORD"]}}
		if e.path == "" && set["PATH_PREFIX"] != "" {
			e.path = strings.Trim(set["PATH_PREFIX"], "/") + "/**"
		}
		if p := set["SSH_KEY"]; p != "" {
			b, err := readFile("KLUCTL_GIT_SSH_KEY", p)
			if err != nil {
				return nil, err
			}
			e.auth.SSHKey = b
		}
		if p := set["CA_BUNDLE"]; p != "" {
			b, err := readFile("KLUCTL_GIT_CA_BUNDLE", p)
			if err != nil {
				return nil, err
			}
			e.auth.CABundle = b
		}
		entries = append(entries, e)
	}
	home := fa.Getenv("HOME")
	if home != "" {
		// git's credential store (`git config credential.helper store`),
		// as the original reads it: https://user:password@host lines.
		if b, err := os.ReadFile(filepath.Join(home, ".git-credentials")); err == nil {
			for _, line := range strings.Split(string(b), "\n") {
				u, err := url.Parse(strings.TrimSpace(line))
				if err != nil || u.User == nil || u.Host == "" {
					continue
				}
				pw, _ := u.User.Password()
				e := &entry{host: u.Host, auth: gitsource.Auth{Username: u.User.Username(), Password: pw}}
				if p := strings.Trim(u.Path, "/"); p != "" {
					e.path = p
				}
				entries = append(entries, e)
			}
		}
	}
	if fa.Getenv("SSH_AUTH_SOCK") != "" {
		entries = append(entries, &entry{host: "*", auth: gitsource.Auth{Agent: true}})
	}
	if home != "" {
		for _, k := range []string{"id_ed25519", "id_ecdsa", "id_rsa"} {
			if b, err := os.ReadFile(filepath.Join(home, ".ssh", k)); err == nil {
				entries = append(entries, &entry{host: "*", auth: gitsource.Auth{SSHKey: b}})
			}
		}
	}
	var knownHosts []byte
	if home != "" {
		knownHosts, _ = os.ReadFile(filepath.Join(home, ".ssh", "known_hosts"))
	}
	insecure, _ := strconv.ParseBool(fa.Getenv("KLUCTL_SSH_DISABLE_STRICT_HOST_KEY_CHECKING"))
	var out gitsource.Credentials
	for _, e := range entries {
		if len(e.auth.KnownHosts) == 0 {
			e.auth.KnownHosts = knownHosts
		}
		e.auth.InsecureIgnoreHostKey = insecure
		c, err := gitsource.NewCredential(e.host, e.path, e.auth)
		if err != nil {
			return nil, fmt.Errorf("git credentials for %s: %w", e.host, err)
		}
		out = append(out, c)
	}
	return out, nil
}

// envCredSets reads the variable sets PREFIX_<KEY> and PREFIX_<idx>_<KEY>
// of keys, as the original's KLUCTL_GIT_0_HOST style: the unnumbered set
// first, then by index (0 to 99).
func envCredSets(getenv func(string) string, prefix string, keys []string) []map[string]string {
	read := func(p string) map[string]string {
		m := map[string]string{}
		for _, k := range keys {
			if v := getenv(p + "_" + k); v != "" {
				m[k] = v
			}
		}
		return m
	}
	var out []map[string]string
	if m := read(prefix); len(m) > 0 {
		out = append(out, m)
	}
	// Indexes are probed (the factory reads variables one by one, so
	// tests can supply them); the original's sets are numbered from 0.
	for i := 0; i < 100; i++ {
		if m := read(fmt.Sprintf("%s_%d", prefix, i)); len(m) > 0 {
			out = append(out, m)
		}
	}
	return out
}
