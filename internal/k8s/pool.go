package k8s

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/http"
	"sort"
	"strings"
	"sync"

	"k8s.io/client-go/rest"
)

// PoolOptions configure a Pool.
type PoolOptions struct {
	// MaxInFlight bounds the requests in flight per API server;
	// DefaultMaxInFlight when 0.
	MaxInFlight int
	// MaxClients bounds the cached client sets; 16 when 0. The least
	// recently used set is dropped first.
	MaxClients int
}

// Pool hands out Clients that share one Limiter per API server and caches
// them (with their discovery data) per server and identity. A process
// creates one Pool and gives it to every run; it is safe for concurrent
// use and holds no state beyond its bounded caches.
type Pool struct {
	opts     PoolOptions
	mu       sync.Mutex
	limiters map[string]*Limiter
	clients  map[string]*pooled
	tick     uint64
}

type pooled struct {
	c    *Clients
	used uint64
}

// NewPool returns an empty pool.
func NewPool(opts PoolOptions) *Pool {
	if opts.MaxClients <= 0 {
		opts.MaxClients = 16
	}
	return &Pool{opts: opts, limiters: map[string]*Limiter{}, clients: map[string]*pooled{}}
}

// Limiter returns the limiter of the API server at host.
func (p *Pool) Limiter(host string) *Limiter {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.limiterLocked(host)
}

func (p *Pool) limiterLocked(host string) *Limiter {
	host = strings.TrimRight(host, "/")
	l, ok := p.limiters[host]
	if !ok {
		// Limiters are tiny and one per cluster; they are kept so that
		// every run against a server shares the same bound.
		l = NewLimiter(p.opts.MaxInFlight)
		p.limiters[host] = l
	}
	return l
}

// Clients returns the client set for cfg, creating it on first use.
func (p *Pool) Clients(cfg *rest.Config) (*Clients, error) {
	key := configKey(cfg)
	p.mu.Lock()
	defer p.mu.Unlock()
	p.tick++
	if e, ok := p.clients[key]; ok {
		e.used = p.tick
		return e.c, nil
	}
	c, err := NewClientsWithLimiter(cfg, p.limiterLocked(cfg.Host))
	if err != nil {
		return nil, err
	}
	if len(p.clients) >= p.opts.MaxClients {
		p.evictLocked()
	}
	p.clients[key] = &pooled{c: c, used: p.tick}
	return c, nil
}

func (p *Pool) evictLocked() {
	var oldest string
	var min uint64
	for k, e := range p.clients {
		if oldest == "" || e.used < min {
			oldest, min = k, e.used
		}
	}
	delete(p.clients, oldest)
}

// configKey identifies the server and identity of cfg. Credentials are
// hashed, never kept in clear.
func configKey(cfg *rest.Config) string {
	h := sha256.New()
	parts := []string{
		cfg.Host, cfg.APIPath, cfg.Username, cfg.Password, cfg.BearerToken, cfg.BearerTokenFile,
		string(cfg.CertData), cfg.CertFile, string(cfg.KeyData), cfg.KeyFile, string(cfg.CAData), cfg.CAFile,
		cfg.ServerName, fmt.Sprint(cfg.Insecure), cfg.Impersonate.UserName, cfg.Impersonate.UID,
		strings.Join(cfg.Impersonate.Groups, ","), fmt.Sprint(cfg.Timeout),
	}
	var extra []string
	for k, v := range cfg.Impersonate.Extra {
		extra = append(extra, k+"="+strings.Join(v, ","))
	}
	sort.Strings(extra)
	parts = append(parts, extra...)
	if cfg.ExecProvider != nil {
		parts = append(parts, cfg.ExecProvider.Command, strings.Join(cfg.ExecProvider.Args, " "))
	}
	for _, s := range parts {
		h.Write([]byte(s))
		h.Write([]byte{0})
	}
	return hex.EncodeToString(h.Sum(nil))
}

// wrapLimiter installs l in the transport chain of c.
func wrapLimiter(c *rest.Config, l *Limiter) {
	if l == nil {
		return
	}
	c.Wrap(func(rt http.RoundTripper) http.RoundTripper { return l.Wrap(rt) })
}
