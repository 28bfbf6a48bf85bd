package gitsource

import (
	"context"
	"crypto"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/knownhosts"

	"github.com/kluctl-go/kluctl/internal/gitserver"
)

// sshKey is a client key: its PEM (as a credentials secret holds it) and
// its public half.
type sshKey struct {
	pem []byte
	pub ssh.PublicKey
}

func ed25519Key(t *testing.T) sshKey {
	t.Helper()
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	block, err := ssh.MarshalPrivateKey(priv, "test")
	if err != nil {
		t.Fatal(err)
	}
	return sshKey{pem: pem.EncodeToMemory(block), pub: publicKey(t, priv.Public())}
}

// rsaKey is an old-style PKCS#1 key ("BEGIN RSA PRIVATE KEY"), which must
// sign with rsa-sha2 to be accepted by current servers.
func rsaKey(t *testing.T) sshKey {
	t.Helper()
	priv, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	b := pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(priv)})
	return sshKey{pem: b, pub: publicKey(t, priv.Public())}
}

func publicKey(t *testing.T, k crypto.PublicKey) ssh.PublicKey {
	t.Helper()
	p, err := ssh.NewPublicKey(k)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// pemBody is the base64 body of a PEM key, the part that must never show
// up in an error.
func pemBody(b []byte) []string {
	var lines []string
	for _, l := range strings.Split(string(b), "\n") {
		if l != "" && !strings.HasPrefix(l, "-----") {
			lines = append(lines, l)
		}
	}
	return lines
}

func TestCheckoutOverSSH(t *testing.T) {
	srv, err := gitserver.Start(t.TempDir(), gitserver.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	commit, err := srv.Commit("proj", "main", map[string][]byte{"a/x.txt": []byte("over ssh")}, "one")
	if err != nil {
		t.Fatal(err)
	}
	edKey, rsaKey, unknownKey := ed25519Key(t), rsaKey(t), ed25519Key(t)
	ss, err := srv.StartSSH(gitserver.SSHOptions{AuthorizedKeys: []ssh.PublicKey{edKey.pub, rsaKey.pub}})
	if err != nil {
		t.Fatal(err)
	}
	defer ss.Close()
	otherHostKey := ed25519Key(t).pub
	addr := ss.Addr()
	host, _, _ := strings.Cut(addr, ":")
	knownHosts := ss.KnownHosts()
	// The key of the server next to the key of another host, hashed and
	// with a comment, as ssh-keyscan and ssh write them.
	hashed := "# test server\n" + knownhosts.Line([]string{"github.com"}, otherHostKey) + "\n" +
		knownhosts.Line([]string{knownhosts.HashHostname(knownhosts.Normalize(addr))}, ss.HostKey()) + "\n"

	tests := []struct {
		name       string
		url        string
		auth       Auth
		wantErr    string
		wantNotErr string
	}{
		{name: "ed25519 key", auth: Auth{SSHKey: edKey.pem, KnownHosts: []byte(knownHosts)}},
		{name: "rsa key", auth: Auth{SSHKey: rsaKey.pem, KnownHosts: []byte(knownHosts)}},
		{name: "hashed known_hosts", auth: Auth{SSHKey: edKey.pem, KnownHosts: []byte(hashed)}},
		{name: "unauthorised key", auth: Auth{SSHKey: unknownKey.pem, KnownHosts: []byte(knownHosts)},
			wantErr: "ssh authentication failed"},
		{name: "no known_hosts", auth: Auth{SSHKey: edKey.pem},
			wantErr: "ssh needs known_hosts"},
		{name: "other host key", auth: Auth{SSHKey: edKey.pem, KnownHosts: []byte(knownhosts.Line([]string{knownhosts.Normalize(addr)}, otherHostKey))},
			wantErr: "does not match known_hosts"},
		{name: "known_hosts of other hosts only", auth: Auth{SSHKey: edKey.pem, KnownHosts: []byte(knownhosts.Line([]string{"github.com"}, ss.HostKey()))},
			wantErr: "not in known_hosts"},
		{name: "known_hosts entry for port 22", auth: Auth{SSHKey: edKey.pem, KnownHosts: []byte(knownhosts.Line([]string{host}, ss.HostKey()))},
			wantErr: "not in known_hosts"},
		{name: "revoked host key", auth: Auth{SSHKey: edKey.pem, KnownHosts: []byte(knownHosts + "@revoked * " + strings.SplitN(knownHosts, " ", 2)[1])},
			wantErr: "revoked"},
		{name: "garbage known_hosts", auth: Auth{SSHKey: edKey.pem, KnownHosts: []byte("[127.0.0.1 ssh-ed25519 !!!\n")},
			wantErr: "known_hosts"},
		{name: "garbage key", auth: Auth{SSHKey: []byte("-----BEGIN OPENSSH PRIVATE KEY-----\nbm90IGEga2V5\n-----END OPENSSH PRIVATE KEY-----\n"), KnownHosts: []byte(knownHosts)},
			wantErr: "ssh key", wantNotErr: "bm90IGEga2V5"},
		{name: "missing repository", url: ss.URL("nope"), auth: Auth{SSHKey: edKey.pem, KnownHosts: []byte(knownHosts)},
			wantErr: "repository not found"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cache, err := New(Options{Dir: t.TempDir()})
			if err != nil {
				t.Fatal(err)
			}
			defer cache.Close()
			url := tt.url
			if url == "" {
				url = ss.URL("proj")
			}
			co, err := cache.Checkout(context.Background(), url, Ref{Branch: "main"}, &tt.auth)
			if tt.wantErr == "" {
				if err != nil {
					t.Fatal(err)
				}
				defer co.Release()
				if co.Commit != commit || readFile(t, filepath.Join(co.Dir, "a", "x.txt")) != "over ssh" {
					t.Errorf("checkout: commit %s in %s, want %s", co.Commit, co.Dir, commit)
				}
				return
			}
			if err == nil {
				co.Release()
				t.Fatalf("checkout succeeded, want an error with %q", tt.wantErr)
			}
			t.Logf("error: %v", err)
			if !errors.As(err, new(*Error)) || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("error %q, want one with %q", err, tt.wantErr)
			}
			secrets := append(pemBody(edKey.pem), pemBody(unknownKey.pem)...)
			if tt.wantNotErr != "" {
				secrets = append(secrets, tt.wantNotErr)
			}
			for _, s := range secrets {
				if strings.Contains(err.Error(), s) {
					t.Errorf("the error shows the private key: %v", err)
				}
			}
		})
	}
}

// A server with keys of several types must be asked for the type that
// known_hosts holds, or a correct known_hosts fails as a mismatch.
func TestHostKeyAlgorithmsFollowKnownHosts(t *testing.T) {
	ed := ed25519Key(t).pub
	rsaPub := rsaKey(t).pub
	tests := []struct {
		name       string
		knownHosts string
		hostport   string
		want       []string
	}{
		{name: "ed25519 only", knownHosts: knownhosts.Line([]string{"git.example.com"}, ed), hostport: "git.example.com:22",
			want: []string{ssh.KeyAlgoED25519}},
		{name: "rsa", knownHosts: knownhosts.Line([]string{"[git.example.com]:2222"}, rsaPub), hostport: "git.example.com:2222",
			want: []string{ssh.KeyAlgoRSASHA512, ssh.KeyAlgoRSASHA256}},
		{name: "both, in file order", knownHosts: knownhosts.Line([]string{"git.example.com"}, rsaPub) + "\n" + knownhosts.Line([]string{"git.example.com"}, ed),
			hostport: "git.example.com:22", want: []string{ssh.KeyAlgoRSASHA512, ssh.KeyAlgoRSASHA256, ssh.KeyAlgoED25519}},
		{name: "another host", knownHosts: knownhosts.Line([]string{"other.example.com"}, ed), hostport: "git.example.com:22"},
		{name: "another port", knownHosts: knownhosts.Line([]string{"git.example.com"}, ed), hostport: "git.example.com:2222"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, got, err := knownHostsCallback([]byte(tt.knownHosts), t.TempDir(), tt.hostport)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}
