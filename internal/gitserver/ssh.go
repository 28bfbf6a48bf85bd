package gitserver

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"strings"
	"sync"

	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/knownhosts"
)

// SSHOptions configure StartSSH.
type SSHOptions struct {
	// AuthorizedKeys may log in, under any user name. Every other key and
	// every password is refused.
	AuthorizedKeys []ssh.PublicKey
	// AllowPush serves git-receive-pack too; by default only fetches
	// (git-upload-pack) are allowed.
	AllowPush bool
}

// SSHServer serves the repositories of a Server over ssh on loopback with
// public key auth. Each exec request for git-upload-pack (or
// git-receive-pack) runs the real git against the repository.
type SSHServer struct {
	srv      *Server
	opts     SSHOptions
	config   *ssh.ServerConfig
	hostKey  ssh.PublicKey
	ln       net.Listener
	cancel   context.CancelFunc
	wg       sync.WaitGroup
	mu       sync.Mutex
	conns    map[net.Conn]struct{}
	closed   bool
	closeErr error
}

// StartSSH serves the repositories of s over ssh on a loopback port with a
// freshly generated ed25519 host key; see KnownHosts. SetDown on s makes
// ssh connections fail too. Close the SSHServer when done; closing s does
// not stop it.
func (s *Server) StartSSH(opts SSHOptions) (*SSHServer, error) {
	if len(opts.AuthorizedKeys) == 0 {
		return nil, errors.New("gitserver: ssh needs at least one authorized key")
	}
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("generate ssh host key: %w", err)
	}
	signer, err := ssh.NewSignerFromKey(priv)
	if err != nil {
		return nil, fmt.Errorf("ssh host key: %w", err)
	}
	authorized := map[string]bool{}
	for _, k := range opts.AuthorizedKeys {
		authorized[string(k.Marshal())] = true
	}
	config := &ssh.ServerConfig{
		// No PasswordCallback and no KeyboardInteractiveCallback: those
		// methods are not offered at all.
		PublicKeyCallback: func(meta ssh.ConnMetadata, key ssh.PublicKey) (*ssh.Permissions, error) {
			if authorized[string(key.Marshal())] {
				return &ssh.Permissions{}, nil
			}
			return nil, fmt.Errorf("public key %s of %q is not authorized", ssh.FingerprintSHA256(key), meta.User())
		},
	}
	config.AddHostKey(signer)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithCancel(context.Background())
	ss := &SSHServer{
		srv: s, opts: opts, config: config, hostKey: signer.PublicKey(),
		ln: ln, cancel: cancel, conns: map[net.Conn]struct{}{},
	}
	ss.wg.Add(1)
	go func() {
		defer ss.wg.Done()
		ss.serve(ctx)
	}()
	return ss, nil
}

// Addr is the host:port the server listens on.
func (ss *SSHServer) Addr() string { return ss.ln.Addr().String() }

// URL returns the ssh clone URL of repository name,
// ssh://git@127.0.0.1:PORT/name.git.
func (ss *SSHServer) URL(name string) string {
	return "ssh://git@" + ss.Addr() + "/" + name + ".git"
}

// HostKey is the server's public host key.
func (ss *SSHServer) HostKey() ssh.PublicKey { return ss.hostKey }

// KnownHosts is the known_hosts line of the server, "[127.0.0.1]:PORT
// ssh-ed25519 AAAA...", with a trailing newline.
func (ss *SSHServer) KnownHosts() string {
	return knownhosts.Line([]string{knownhosts.Normalize(ss.Addr())}, ss.hostKey) + "\n"
}

// Close stops the listener, drops every connection, kills the git
// processes still running and waits for all of it to end.
func (ss *SSHServer) Close() error {
	ss.mu.Lock()
	if ss.closed {
		ss.mu.Unlock()
		return ss.closeErr
	}
	ss.closed = true
	ss.closeErr = ss.ln.Close()
	ss.cancel()
	for c := range ss.conns {
		_ = c.Close()
	}
	ss.mu.Unlock()
	ss.wg.Wait()
	return ss.closeErr
}

func (ss *SSHServer) serve(ctx context.Context) {
	for {
		conn, err := ss.ln.Accept()
		if err != nil {
			return // closed
		}
		if !ss.track(conn) {
			_ = conn.Close()
			return
		}
		ss.wg.Add(1)
		go func() {
			defer ss.wg.Done()
			defer ss.untrack(conn)
			ss.handleConn(ctx, conn)
		}()
	}
}

func (ss *SSHServer) track(c net.Conn) bool {
	ss.mu.Lock()
	defer ss.mu.Unlock()
	if ss.closed {
		return false
	}
	ss.conns[c] = struct{}{}
	return true
}

func (ss *SSHServer) untrack(c net.Conn) {
	_ = c.Close()
	ss.mu.Lock()
	delete(ss.conns, c)
	ss.mu.Unlock()
}

func (ss *SSHServer) handleConn(ctx context.Context, conn net.Conn) {
	ss.srv.mu.Lock()
	down := ss.srv.down
	ss.srv.mu.Unlock()
	if down {
		return
	}
	sconn, chans, reqs, err := ssh.NewServerConn(conn, ss.config)
	if err != nil {
		return // handshake or auth failed; the client has its error
	}
	defer sconn.Close()
	var wg sync.WaitGroup
	defer wg.Wait()
	wg.Add(1)
	go func() {
		defer wg.Done()
		ssh.DiscardRequests(reqs)
	}()
	for nc := range chans {
		if nc.ChannelType() != "session" {
			_ = nc.Reject(ssh.UnknownChannelType, "only session channels are served")
			continue
		}
		ch, chReqs, err := nc.Accept()
		if err != nil {
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			ss.handleSession(ctx, ch, chReqs)
		}()
	}
}

// handleSession runs the one exec request of a session and refuses every
// other request (shells, ptys, subsystems).
func (ss *SSHServer) handleSession(ctx context.Context, ch ssh.Channel, reqs <-chan *ssh.Request) {
	// The helpers end when the client closes the channel or the
	// connection is dropped.
	var helpers sync.WaitGroup
	defer helpers.Wait()
	defer ch.Close()
	var env []string
	for req := range reqs {
		switch req.Type {
		case "env":
			var kv struct{ Name, Value string }
			ok := ssh.Unmarshal(req.Payload, &kv) == nil && kv.Name == "GIT_PROTOCOL"
			if ok {
				env = append(env, kv.Name+"="+kv.Value)
			}
			_ = req.Reply(ok, nil)
		case "exec":
			var cmd struct{ Command string }
			if err := ssh.Unmarshal(req.Payload, &cmd); err != nil {
				_ = req.Reply(false, nil)
				continue
			}
			_ = req.Reply(true, nil)
			helpers.Add(1)
			go func() {
				defer helpers.Done()
				ssh.DiscardRequests(reqs)
			}()
			status := ss.exec(ctx, cmd.Command, env, ch, &helpers)
			_, _ = ch.SendRequest("exit-status", false, ssh.Marshal(struct{ Status uint32 }{status}))
			return
		default:
			_ = req.Reply(false, nil)
		}
	}
}

// exec runs command, a git-upload-pack or git-receive-pack of a
// repository below the root, wired to ch, and returns its exit status.
// Anything else is refused with a message on stderr and status 128, as git
// does.
func (ss *SSHServer) exec(ctx context.Context, command string, env []string, ch ssh.Channel, helpers *sync.WaitGroup) uint32 {
	fail := func(format string, args ...any) uint32 {
		fmt.Fprintf(ch.Stderr(), "fatal: "+format+"\n", args...)
		return 128
	}
	verb, arg, _ := strings.Cut(command, " ")
	var sub string
	switch {
	case verb == "git-upload-pack":
		sub = "upload-pack"
	case verb == "git-receive-pack" && ss.opts.AllowPush:
		sub = "receive-pack"
	default:
		return fail("command not allowed: %q", command)
	}
	repoPath, err := shellUnquote(arg)
	if err != nil {
		return fail("%s: bad repository argument %q: %v", verb, arg, err)
	}
	dir, err := ss.repoDir(repoPath)
	if err != nil {
		return fail("%v", err)
	}
	c := exec.CommandContext(ctx, "git", sub, dir)
	c.Env = append(os.Environ(), env...)
	stdin, err := c.StdinPipe()
	if err != nil {
		return fail("%v", err)
	}
	c.Stdout = ch
	c.Stderr = ch.Stderr()
	if err := c.Start(); err != nil {
		return fail("start git %s: %v", sub, err)
	}
	// Not waited for here: it ends when the client closes its side, after
	// the exit status.
	helpers.Add(1)
	go func() {
		defer helpers.Done()
		_, _ = io.Copy(stdin, ch)
		_ = stdin.Close()
	}()
	err = c.Wait()
	var exitErr *exec.ExitError
	switch {
	case err == nil:
		return 0
	case errors.As(err, &exitErr) && exitErr.ExitCode() > 0:
		return uint32(exitErr.ExitCode())
	}
	return fail("git %s: %v", sub, err)
}

// repoDir maps the path of a request (like "/proj.git" or "proj") to a
// bare repository below the root; paths leaving the root are refused.
func (ss *SSHServer) repoDir(p string) (string, error) {
	rel := strings.TrimPrefix(p, "/")
	for _, part := range strings.Split(rel, "/") {
		if part == ".." {
			return "", fmt.Errorf("'%s': paths may not leave the repository root", p)
		}
	}
	rel = path.Clean("/" + rel)[1:]
	if rel == "" || strings.HasPrefix(rel, "~") {
		return "", fmt.Errorf("'%s' does not appear to be a git repository", p)
	}
	for _, cand := range []string{rel, rel + ".git"} {
		dir := filepath.Join(ss.srv.root, filepath.FromSlash(cand))
		if fi, err := os.Stat(dir); err == nil && fi.IsDir() {
			return dir, nil
		}
	}
	// Worded as git words it, which clients recognise as "not found".
	return "", fmt.Errorf("'%s' does not appear to be a git repository", p)
}

// shellUnquote undoes git's sq_quote: the text is in single quotes, and a
// quote or a bang inside it is written as close quote, backslash, the
// character, open quote.
func shellUnquote(s string) (string, error) {
	if s == "" {
		return "", errors.New("missing")
	}
	var b strings.Builder
	for {
		if s == "" || s[0] != '\'' {
			return "", errors.New("not single-quoted")
		}
		end := strings.IndexByte(s[1:], '\'')
		if end < 0 {
			return "", errors.New("unterminated quote")
		}
		b.WriteString(s[1 : 1+end])
		s = s[2+end:]
		if s == "" {
			return b.String(), nil
		}
		if len(s) < 2 || s[0] != '\\' || (s[1] != '\'' && s[1] != '!') {
			return "", errors.New("unexpected text after a quote")
		}
		b.WriteByte(s[1])
		s = s[2:]
	}
}
