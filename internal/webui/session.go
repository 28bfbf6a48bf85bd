package webui

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"strings"
	"time"
)

// sessionCookie is the cookie that carries a login, named as the
// original's.
const sessionCookie = "auth-session"

// refreshAfter is how old a session gets before a request renews it.
const refreshAfter = 10 * time.Second

// maxSessionAge bounds how long renewals keep a login alive (at least the
// TTL): a user removed from a group, or a stolen cookie, stays in no longer.
const maxSessionAge = 12 * time.Hour

// session is what the signed cookie holds.
type session struct {
	User    string `json:"u"`
	Admin   bool   `json:"a"`
	Kind    string `json:"k"` // "static" or "oidc"
	Issued  int64  `json:"i"`
	Expires int64  `json:"x"`
	// Login is when the user logged in; renewals keep it.
	Login int64 `json:"l,omitempty"`
}

// sessions signs and checks session cookies with one key. Sessions are
// stateless: nothing is kept on the server, so any number of logins costs
// no memory and replicas of the UI share them.
type sessions struct {
	key    []byte
	ttl    time.Duration
	path   string
	now    func() time.Time
	secure func(*http.Request) bool
}

func (s *sessions) encode(v session) string {
	b, _ := json.Marshal(v)
	p := base64.RawURLEncoding.EncodeToString(b)
	return p + "." + base64.RawURLEncoding.EncodeToString(s.mac(p))
}

func (s *sessions) mac(payload string) []byte {
	m := hmac.New(sha256.New, s.key)
	m.Write([]byte("kluctl-webui-session\x00" + payload))
	return m.Sum(nil)
}

// decode returns the session of a cookie value if its signature is right
// and it has not expired.
func (s *sessions) decode(v string) (session, bool) {
	p, sig, ok := strings.Cut(v, ".")
	if !ok {
		return session{}, false
	}
	got, err := base64.RawURLEncoding.DecodeString(sig)
	if err != nil || !hmac.Equal(got, s.mac(p)) {
		return session{}, false
	}
	b, err := base64.RawURLEncoding.DecodeString(p)
	if err != nil {
		return session{}, false
	}
	var out session
	if json.Unmarshal(b, &out) != nil || out.User == "" || s.now().Unix() >= out.Expires {
		return session{}, false
	}
	if out.Login != 0 && s.now().Sub(time.Unix(out.Login, 0)) >= s.maxAge() {
		return session{}, false
	}
	return out, true
}

func (s *sessions) maxAge() time.Duration { return max(maxSessionAge, s.ttl) }

// start sets a new session for user.
func (s *sessions) start(w http.ResponseWriter, r *http.Request, user string, admin bool, kind string) {
	now := s.now()
	s.set(w, r, session{User: user, Admin: admin, Kind: kind, Issued: now.Unix(), Expires: now.Add(s.ttl).Unix(), Login: now.Unix()})
}

func (s *sessions) set(w http.ResponseWriter, r *http.Request, v session) {
	http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: s.encode(v), Path: s.path, HttpOnly: true,
		SameSite: http.SameSiteLaxMode, Secure: s.secure(r), Expires: time.Unix(v.Expires, 0)})
}

func (s *sessions) clear(w http.ResponseWriter, r *http.Request) {
	http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: "", Path: s.path, HttpOnly: true,
		SameSite: http.SameSiteLaxMode, Secure: s.secure(r), MaxAge: -1})
}

// get returns the request's session, renewing it (sliding expiry) when it
// is older than refreshAfter.
func (s *sessions) get(w http.ResponseWriter, r *http.Request) (session, bool) {
	c, err := r.Cookie(sessionCookie)
	if err != nil {
		return session{}, false
	}
	v, ok := s.decode(c.Value)
	if !ok {
		return session{}, false
	}
	now := s.now()
	if w != nil && now.Sub(time.Unix(v.Issued, 0)) > refreshAfter {
		if v.Login == 0 {
			v.Login = v.Issued // a cookie from before logins were dated
		}
		v.Issued = now.Unix()
		v.Expires = min(now.Add(s.ttl).Unix(), time.Unix(v.Login, 0).Add(s.maxAge()).Unix())
		s.set(w, r, v)
	}
	return v, true
}

func secureRequest(r *http.Request) bool {
	return r.TLS != nil || strings.EqualFold(r.Header.Get("X-Forwarded-Proto"), "https")
}
