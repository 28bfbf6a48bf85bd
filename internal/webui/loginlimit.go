package webui

import (
	"net"
	"net/http"
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// maxLoginClients bounds the clients whose login attempts are counted.
const maxLoginClients = 1024

// loginLimiter slows down password guessing per client address, so that
// one client guessing does not lock everybody else out; a looser limit
// over all clients bounds the total.
type loginLimiter struct {
	all       *rate.Limiter
	perClient func() *rate.Limiter
	now       func() time.Time

	mu      sync.Mutex
	clients map[string]*clientLimit
}

type clientLimit struct {
	l    *rate.Limiter
	seen time.Time
}

func newLoginLimiter() *loginLimiter {
	return &loginLimiter{
		all:       rate.NewLimiter(rate.Every(20*time.Millisecond), 50),
		perClient: func() *rate.Limiter { return rate.NewLimiter(rate.Every(200*time.Millisecond), 10) },
		now:       time.Now,
		clients:   map[string]*clientLimit{},
	}
}

// allow counts a login attempt of r's client and tells whether it may go
// on.
func (l *loginLimiter) allow(r *http.Request) bool {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	c, ok := l.clients[host]
	if !ok {
		if len(l.clients) >= maxLoginClients {
			l.evictLocked()
		}
		c = &clientLimit{l: l.perClient()}
		l.clients[host] = c
	}
	c.seen = now
	return c.l.AllowN(now, 1) && l.all.AllowN(now, 1)
}

// evictLocked forgets the client seen least recently.
func (l *loginLimiter) evictLocked() {
	var oldest string
	var at time.Time
	for k, c := range l.clients {
		if oldest == "" || c.seen.Before(at) {
			oldest, at = k, c.seen
		}
	}
	delete(l.clients, oldest)
}
