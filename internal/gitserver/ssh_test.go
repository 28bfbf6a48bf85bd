package gitserver

import (
	"bytes"
	"crypto/ed25519"
	"crypto/rand"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/knownhosts"
)

func newSigner(t *testing.T) ssh.Signer {
	t.Helper()
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	s, err := ssh.NewSignerFromKey(priv)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// startSSH serves a repository "r" (and "outside", next to the root) over
// ssh, authorising the returned key.
func startSSH(t *testing.T) (*SSHServer, ssh.Signer) {
	t.Helper()
	base := t.TempDir()
	root := filepath.Join(base, "root")
	srv, err := Start(root, Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = srv.Close() })
	if _, err := srv.Commit("r", "main", map[string][]byte{"f": []byte("1")}, "one"); err != nil {
		t.Fatal(err)
	}
	outside, err := Start(base, Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = outside.Close() })
	if _, err := outside.Commit("outside", "main", map[string][]byte{"secret": []byte("x")}, "one"); err != nil {
		t.Fatal(err)
	}
	key := newSigner(t)
	ss, err := srv.StartSSH(SSHOptions{AuthorizedKeys: []ssh.PublicKey{key.PublicKey()}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = ss.Close() })
	return ss, key
}

// knownHostsCallback checks the server against its KnownHosts line, the
// way OpenSSH would.
func knownHostsCallback(t *testing.T, ss *SSHServer) ssh.HostKeyCallback {
	t.Helper()
	f := filepath.Join(t.TempDir(), "known_hosts")
	if err := os.WriteFile(f, []byte(ss.KnownHosts()), 0o600); err != nil {
		t.Fatal(err)
	}
	cb, err := knownhosts.New(f)
	if err != nil {
		t.Fatal(err)
	}
	return cb
}

func TestSSHRunsOnlyGitUploadPackInsideTheRoot(t *testing.T) {
	ss, key := startSSH(t)
	client, err := ssh.Dial("tcp", ss.Addr(), &ssh.ClientConfig{
		User: "git", Auth: []ssh.AuthMethod{ssh.PublicKeys(key)}, HostKeyCallback: knownHostsCallback(t, ss),
	})
	if err != nil {
		t.Fatal(err)
	}
	defer client.Close()
	tests := []struct {
		name       string
		command    string
		wantStatus int
		wantStdout string
		wantStderr string
	}{
		{name: "upload-pack", command: "git-upload-pack '/r.git'", wantStdout: "refs/heads/main"},
		{name: "upload-pack without .git", command: "git-upload-pack 'r'", wantStdout: "refs/heads/main"},
		{name: "a shell command", command: "cat /etc/passwd", wantStatus: 128, wantStderr: "command not allowed"},
		{name: "receive-pack without AllowPush", command: "git-receive-pack '/r.git'", wantStatus: 128, wantStderr: "command not allowed"},
		{name: "traversal", command: "git-upload-pack '/../outside.git'", wantStatus: 128, wantStderr: "may not leave the repository root"},
		{name: "nested traversal", command: "git-upload-pack 'r.git/../../outside.git'", wantStatus: 128, wantStderr: "may not leave the repository root"},
		{name: "missing repository", command: "git-upload-pack '/nope.git'", wantStatus: 128, wantStderr: "does not appear to be a git repository"},
		{name: "unquoted path", command: "git-upload-pack /r.git", wantStatus: 128, wantStderr: "not single-quoted"},
		{name: "quote injection", command: "git-upload-pack '/r.git'; touch x", wantStatus: 128, wantStderr: "unexpected text after a quote"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sess, err := client.NewSession()
			if err != nil {
				t.Fatal(err)
			}
			defer sess.Close()
			var stdout, stderr bytes.Buffer
			sess.Stdin = strings.NewReader("0000") // a flush: the client wants nothing
			sess.Stdout, sess.Stderr = &stdout, &stderr
			err = sess.Run(tt.command)
			status := 0
			var exitErr *ssh.ExitError
			if errors.As(err, &exitErr) {
				status = exitErr.ExitStatus()
			} else if err != nil {
				t.Fatal(err)
			}
			if status != tt.wantStatus {
				t.Errorf("status %d, want %d; stderr: %s", status, tt.wantStatus, stderr.String())
			}
			if !strings.Contains(stdout.String(), tt.wantStdout) {
				t.Errorf("stdout %q does not contain %q", stdout.String(), tt.wantStdout)
			}
			if !strings.Contains(stderr.String(), tt.wantStderr) {
				t.Errorf("stderr %q does not contain %q", stderr.String(), tt.wantStderr)
			}
			if tt.wantStatus != 0 && strings.Contains(stdout.String(), "refs/heads") {
				t.Errorf("a refused command served a repository: %q", stdout.String())
			}
		})
	}
}

func TestSSHRefusesOtherKeysAndPasswords(t *testing.T) {
	ss, _ := startSSH(t)
	tests := []struct {
		name string
		auth ssh.AuthMethod
	}{
		{name: "unknown key", auth: ssh.PublicKeys(newSigner(t))},
		{name: "password", auth: ssh.Password("git")},
		{name: "keyboard-interactive", auth: ssh.KeyboardInteractive(func(string, string, []string, []bool) ([]string, error) { return nil, nil })},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := ssh.Dial("tcp", ss.Addr(), &ssh.ClientConfig{
				User: "git", Auth: []ssh.AuthMethod{tt.auth}, HostKeyCallback: knownHostsCallback(t, ss),
			})
			if err == nil {
				c.Close()
				t.Fatal("logged in")
			}
			if !strings.Contains(err.Error(), "unable to authenticate") {
				t.Errorf("error: %v", err)
			}
		})
	}
}

func TestSSHCloseEndsRunningSessions(t *testing.T) {
	ss, key := startSSH(t)
	client, err := ssh.Dial("tcp", ss.Addr(), &ssh.ClientConfig{
		User: "git", Auth: []ssh.AuthMethod{ssh.PublicKeys(key)}, HostKeyCallback: knownHostsCallback(t, ss),
	})
	if err != nil {
		t.Fatal(err)
	}
	defer client.Close()
	sess, err := client.NewSession()
	if err != nil {
		t.Fatal(err)
	}
	stdin, err := sess.StdinPipe() // never written: upload-pack waits for the client
	if err != nil {
		t.Fatal(err)
	}
	defer stdin.Close()
	if err := sess.Start("git-upload-pack '/r.git'"); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- ss.Close() }()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("close: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Close did not return while a session was running")
	}
	if c, err := ssh.Dial("tcp", ss.Addr(), &ssh.ClientConfig{
		User: "git", Auth: []ssh.AuthMethod{ssh.PublicKeys(key)}, HostKeyCallback: knownHostsCallback(t, ss),
	}); err == nil {
		c.Close()
		t.Error("the server still accepts connections after Close")
	}
}

func TestShellUnquote(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		want    string
		wantErr bool
	}{
		{name: "plain", in: "'/a/b.git'", want: "/a/b.git"},
		{name: "escaped quote", in: `'/it'\''s.git'`, want: "/it's.git"},
		{name: "escaped bang", in: `'/a'\!'b'`, want: "/a!b"},
		{name: "empty", in: "", wantErr: true},
		{name: "unquoted", in: "/a", wantErr: true},
		{name: "unterminated", in: "'/a", wantErr: true},
		{name: "trailing text", in: "'/a' b", wantErr: true},
		{name: "dangling escape", in: `'/a'\'`, wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := shellUnquote(tt.in)
			if (err != nil) != tt.wantErr {
				t.Fatalf("err = %v, wantErr %v", err, tt.wantErr)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}
