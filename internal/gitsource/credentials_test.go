package gitsource

import (
	"testing"
)

func TestCredentialsFor(t *testing.T) {
	mk := func(host, path string, a Auth) *Credential {
		c, err := NewCredential(host, path, a)
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	cs := Credentials{
		mk("git.example.com", "org/*", Auth{Username: "org", Password: "p1"}),
		mk("git.example.com", "deep/**", Auth{Username: "deep", Password: "p2"}),
		mk("git.example.com:8443", "", Auth{Username: "port", Password: "p3"}),
		mk("*", "", Auth{Username: "wild", Password: "p4", SSHKey: []byte("key")}),
	}
	for _, tc := range []struct{ url, want string }{
		{"https://git.example.com/org/repo.git", "org"},
		{"https://git.example.com/org/sub/repo.git", ""},   // * stays in one segment
		{"https://git.example.com/deep/a/b/c.git", "deep"}, // ** crosses them
		{"https://git.example.com:8443/any/repo.git", "port"},
		{"https://other.example.com/org/repo.git", ""}, // * host is for ssh only
		{"ssh://git@other.example.com/org/repo.git", "wild"},
		{"git@other.example.com:org/repo.git", "wild"},
	} {
		a, err := cs.For(tc.url)
		if err != nil {
			t.Fatalf("%s: %v", tc.url, err)
		}
		got := ""
		if a != nil {
			got = a.Username
		}
		if got != tc.want {
			t.Errorf("For(%s) = %q, want %q", tc.url, got, tc.want)
		}
	}
}

func TestParseOverride(t *testing.T) {
	for _, tc := range []struct {
		in, key string
		bad     bool
	}{
		{"github.com/org/repo=/x", "github.com/org/repo", false},
		{"github.com/org/repo.git=/x", "github.com/org/repo", false},
		{"github.com:org/repo=/x", "github.com/org/repo", false}, // the deprecated form
		{"127.0.0.1:8080/repo=/x", "127.0.0.1:8080/repo", false},
		{"github.com/org/repo", "", true},
		{"=/x", "", true},
	} {
		o, err := ParseOverride(tc.in, false)
		if (err != nil) != tc.bad {
			t.Fatalf("%s: err = %v", tc.in, err)
		}
		if !tc.bad && o.RepoKey != tc.key {
			t.Errorf("%s: key %q, want %q", tc.in, o.RepoKey, tc.key)
		}
	}
}
