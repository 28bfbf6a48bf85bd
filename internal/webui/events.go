package webui

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"time"

	"github.com/coder/websocket"

	"github.com/kluctl-go/kluctl/internal/result"
)

// pushDelay gathers changes that come close together into one frame.
const pushDelay = 200 * time.Millisecond

// writeTimeout bounds the write of one frame to a client.
const writeTimeout = 5 * time.Second

// closeSessionExpired is the close code sent when the login expires.
const closeSessionExpired websocket.StatusCode = 4001

// events pushes the state and then every change to the client over a
// WebSocket; each frame is a JSON array of messages, as the original's.
// The query parameters filterProject and filterSubDir limit the results to
// one project. Viewers get the redacted messages (see viewerDeployment).
// The socket closes when the user's session expires.
func (s *Server) events(w http.ResponseWriter, r *http.Request, u *User) {
	filter := projectFilter(r.URL.Query().Get("filterProject"), r.URL.Query().Get("filterSubDir"))
	end := s.auth.sessionEnd(r)
	conn, err := s.accept(w, r)
	if err != nil {
		return
	}
	defer conn.CloseNow()
	ctx := conn.CloseRead(r.Context())
	var expired <-chan time.Time
	if !end.IsZero() {
		t := time.NewTimer(time.Until(end))
		defer t.Stop()
		expired = t.C
	}
	var seq uint64
	for {
		msgs, next, changed := s.hub.sinceFor(seq, filter, !u.IsAdmin)
		seq = next
		if len(msgs) != 0 {
			if err := writeFrame(ctx, conn, msgs); err != nil {
				return
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-expired:
			_ = conn.Close(closeSessionExpired, "session expired")
			return
		case <-changed:
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(pushDelay):
		}
	}
}

func writeFrame(ctx context.Context, conn *websocket.Conn, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, writeTimeout)
	defer cancel()
	return conn.Write(ctx, websocket.MessageText, b)
}

// accept upgrades the request. Browsers send their Origin; the cookie is
// SameSite=Lax, and the origin must be the page's own host.
func (s *Server) accept(w http.ResponseWriter, r *http.Request) (*websocket.Conn, error) {
	ua := strings.ToLower(r.UserAgent())
	opts := &websocket.AcceptOptions{}
	if strings.Contains(ua, "safari") && !strings.Contains(ua, "chrome") && !strings.Contains(ua, "android") {
		opts.CompressionMode = websocket.CompressionDisabled
	}
	return websocket.Accept(w, r, opts)
}

// projectFilter passes the results of one project (and everything without
// a project, as KluctlDeployments that have not reported one yet).
func projectFilter(repo, subDir string) func(*result.ProjectKey) bool {
	if repo == "" {
		return nil
	}
	repo = strings.TrimSuffix(strings.TrimPrefix(repo, "git://"), ".git")
	return func(p *result.ProjectKey) bool {
		if p == nil {
			return true
		}
		return strings.TrimSuffix(strings.TrimPrefix(p.RepoKey, "git://"), ".git") == repo && p.SubDir == subDir
	}
}
