package gitsource

import (
	"errors"
	"fmt"
	"net"
	"os"
	"strings"

	"github.com/go-git/go-git/v5/plumbing/transport"
	githttp "github.com/go-git/go-git/v5/plumbing/transport/http"
	gitssh "github.com/go-git/go-git/v5/plumbing/transport/ssh"
	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/knownhosts"

	"github.com/kluctl-go/kluctl/internal/gitinfo"
)

// authMethod returns the go-git auth of url; tmpDir holds the short-lived
// known_hosts file of ssh.
func authMethod(url string, auth *Auth, tmpDir string) (transport.AuthMethod, error) {
	if auth == nil {
		return nil, nil
	}
	u, err := gitinfo.ParseURL(url)
	if err != nil {
		return nil, err
	}
	if u.Scheme == "ssh" {
		if len(auth.SSHKey) == 0 && !auth.Agent {
			return nil, nil
		}
		user := "git"
		if u.User != nil && u.User.Username() != "" {
			user = u.User.Username()
		} else if auth.Username != "" {
			user = auth.Username
		}
		port := u.Port()
		if port == "" {
			port = "22"
		}
		cb, algos := ssh.InsecureIgnoreHostKey(), []string(nil)
		if !auth.InsecureIgnoreHostKey {
			var err error
			if cb, algos, err = knownHostsCallback(auth.KnownHosts, tmpDir, net.JoinHostPort(u.Hostname(), port)); err != nil {
				return nil, err
			}
		}
		if len(auth.SSHKey) == 0 {
			ag, err := gitssh.NewSSHAgentAuth(user)
			if err != nil {
				return nil, fmt.Errorf("ssh agent: %w", err)
			}
			ag.HostKeyCallback = cb
			ag.HostKeyAlgorithms = algos
			return ag, nil
		}
		pk, err := gitssh.NewPublicKeys(user, auth.SSHKey, auth.Password)
		if err != nil {
			return nil, fmt.Errorf("ssh key: %w", err)
		}
		pk.HostKeyCallback = cb
		pk.HostKeyAlgorithms = algos
		return pk, nil
	}
	if auth.Username == "" && auth.Password == "" {
		return nil, nil
	}
	return &githttp.BasicAuth{Username: auth.Username, Password: auth.Password}, nil
}

// knownHostsCallback verifies host keys against known_hosts lines with
// OpenSSH's rules: "[host]:port" names for ports other than 22, hashed
// names, patterns, @revoked and @cert-authority. Without any line, ssh is
// refused (never trust on first use). It also returns the host key
// algorithms to ask hostport for: those of its keys in known_hosts, so a
// server with keys of several types presents the one that is known.
func knownHostsCallback(lines []byte, tmpDir, hostport string) (ssh.HostKeyCallback, []string, error) {
	if len(strings.TrimSpace(string(lines))) == 0 {
		return nil, nil, errors.New("ssh needs known_hosts lines for the server (the known_hosts key of the credentials secret, --git-ssh-known-hosts-file or ~/.ssh/known_hosts)")
	}
	// The knownhosts package reads only files.
	f, err := os.CreateTemp(tmpDir, "known_hosts-")
	if err != nil {
		return nil, nil, err
	}
	defer os.Remove(f.Name())
	_, err = f.Write(lines)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return nil, nil, err
	}
	db, err := knownhosts.New(f.Name())
	if err != nil {
		return nil, nil, errors.New(strings.ReplaceAll(err.Error(), f.Name(), "known_hosts"))
	}
	cb := func(hostname string, remote net.Addr, key ssh.PublicKey) error {
		err := db(hostname, remote, key)
		var keyErr *knownhosts.KeyError
		var revoked *knownhosts.RevokedError
		switch {
		case err == nil:
			return nil
		case errors.As(err, &revoked):
			return fmt.Errorf("ssh host key of %s is revoked in known_hosts", hostname)
		case errors.As(err, &keyErr) && len(keyErr.Want) > 0:
			return fmt.Errorf("ssh host key of %s (%s %s) does not match known_hosts: the server may have been replaced or impersonated",
				hostname, key.Type(), ssh.FingerprintSHA256(key))
		case errors.As(err, &keyErr):
			return fmt.Errorf("ssh host key of %s is not in known_hosts (looked for %q)", hostname, knownhosts.Normalize(hostname))
		}
		return fmt.Errorf("ssh host key of %s: %w", hostname, err)
	}
	return cb, hostKeyAlgorithms(db, hostport), nil
}

// hostKeyAlgorithms asks db for the keys of hostport by checking a key
// that cannot match, and returns the algorithms of those keys; nil (the
// defaults) when it knows none, for example with only @cert-authority lines.
func hostKeyAlgorithms(db ssh.HostKeyCallback, hostport string) []string {
	var keyErr *knownhosts.KeyError
	if !errors.As(db(hostport, &net.TCPAddr{IP: net.IPv4zero}, probeKey{}), &keyErr) {
		return nil
	}
	var algos []string
	seen := map[string]bool{}
	for _, k := range keyErr.Want {
		names := []string{k.Key.Type()}
		if k.Key.Type() == ssh.KeyAlgoRSA {
			names = []string{ssh.KeyAlgoRSASHA512, ssh.KeyAlgoRSASHA256}
		}
		for _, n := range names {
			if !seen[n] {
				seen[n] = true
				algos = append(algos, n)
			}
		}
	}
	return algos
}

// probeKey is a host key no known_hosts line holds.
type probeKey struct{}

func (probeKey) Type() string                        { return "kluctl-probe" }
func (probeKey) Marshal() []byte                     { return []byte("kluctl-probe") }
func (probeKey) Verify([]byte, *ssh.Signature) error { return errors.New("probe key") }
