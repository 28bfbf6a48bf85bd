package gitsource

import (
	"fmt"
	"regexp"
	"strings"

	"github.com/kluctl-go/kluctl/internal/gitinfo"
)

// Credential is the Auth of the repositories on Host whose path matches
// Path, a glob where * stays within one path segment and ** crosses them
// ("" matches every path). Host "*" matches every host, but only for ssh
// URLs: a password is never sent to a host it was not given for.
type Credential struct {
	Host, Path string
	Auth
	pathRe *regexp.Regexp
}

// Credentials are tried in order; the first match wins.
type Credentials []*Credential

// NewCredential checks the path glob of a credential.
func NewCredential(host, path string, auth Auth) (*Credential, error) {
	c := &Credential{Host: strings.ToLower(host), Path: strings.Trim(path, "/"), Auth: auth}
	re, err := PathGlob(c.Path)
	if err != nil {
		return nil, fmt.Errorf("path %q: %w", path, err)
	}
	c.pathRe = re
	return c, nil
}

// PathGlob compiles the path glob of a credential (git, Helm or OCI) into
// a regular expression: * matches within one path segment, ** across
// segments, ? one character; "" gives nil (every path).
func PathGlob(glob string) (*regexp.Regexp, error) {
	if glob == "" {
		return nil, nil
	}
	var b strings.Builder
	b.WriteString("^")
	for i := 0; i < len(glob); i++ {
		switch ch := glob[i]; {
		case ch == '*' && i+1 < len(glob) && glob[i+1] == '*':
			b.WriteString(".*")
			i++
		case ch == '*':
			b.WriteString("[^/]*")
		case ch == '?':
			b.WriteString("[^/]")
		default:
			b.WriteString(regexp.QuoteMeta(string(ch)))
		}
	}
	b.WriteString("$")
	return regexp.Compile(b.String())
}

// matches tells whether c applies to the parsed URL.
func (c *Credential) matches(scheme, host, hostPort, path string) bool {
	switch c.Host {
	case "*":
		if scheme != "ssh" {
			return false
		}
	case host, hostPort:
	default:
		return false
	}
	if c.pathRe != nil && !c.pathRe.MatchString(path) {
		return false
	}
	return true
}

// For returns the Auth of url: the first matching credential that has
// what the URL's scheme needs (a key for ssh, a username or password
// otherwise), nil when none does.
func (cs Credentials) For(url string) (*Auth, error) {
	u, err := gitinfo.ParseURL(url)
	if err != nil {
		return nil, err
	}
	host := strings.ToLower(u.Hostname())
	hostPort := host
	if u.Port() != "" {
		hostPort += ":" + u.Port()
	}
	p := strings.Trim(u.Path, "/")
	for _, c := range cs {
		if !c.matches(u.Scheme, host, hostPort, p) {
			continue
		}
		if u.Scheme == "ssh" && len(c.SSHKey) == 0 && !c.Agent {
			continue
		}
		if u.Scheme != "ssh" && c.Username == "" && c.Password == "" && len(c.CABundle) == 0 {
			continue
		}
		a := c.Auth
		if a.Username == "" && a.Password != "" {
			a.Username = "git"
		}
		return &a, nil
	}
	return nil, nil
}
