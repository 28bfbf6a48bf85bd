package k8s

import (
	"context"
	"io"
	"net/http"
	"sync"
	"sync/atomic"
)

// DefaultMaxInFlight bounds the requests one process has in flight to one
// API server, across every run that shares a Pool.
const DefaultMaxInFlight = 64

// Limiter bounds the number of requests in flight to one API server. Runs
// that talk to the same cluster share one Limiter (see Pool), so that many
// concurrent deploys cannot flood an API server. A request holds its slot
// until its response body is closed; watches are not counted, as they stay
// open for long.
type Limiter struct {
	sem      chan struct{}
	inFlight atomic.Int64
	peak     atomic.Int64
	total    atomic.Int64
}

// NewLimiter returns a limiter with n slots (DefaultMaxInFlight if n <= 0).
func NewLimiter(n int) *Limiter {
	if n <= 0 {
		n = DefaultMaxInFlight
	}
	return &Limiter{sem: make(chan struct{}, n)}
}

// Size is the number of slots.
func (l *Limiter) Size() int { return cap(l.sem) }

// Peak is the highest number of requests that were in flight at once.
func (l *Limiter) Peak() int64 { return l.peak.Load() }

// Total is the number of requests that passed the limiter.
func (l *Limiter) Total() int64 { return l.total.Load() }

func (l *Limiter) acquire(ctx context.Context) error {
	select {
	case l.sem <- struct{}{}:
	case <-ctx.Done():
		return ctx.Err()
	}
	n := l.inFlight.Add(1)
	l.total.Add(1)
	for {
		p := l.peak.Load()
		if n <= p || l.peak.CompareAndSwap(p, n) {
			break
		}
	}
	return nil
}

func (l *Limiter) release() {
	l.inFlight.Add(-1)
	<-l.sem
}

// Wrap returns a round tripper that passes every request through l.
func (l *Limiter) Wrap(rt http.RoundTripper) http.RoundTripper {
	return &limitedTransport{l: l, next: rt}
}

type limitedTransport struct {
	l    *Limiter
	next http.RoundTripper
}

func (t *limitedTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.URL.Query().Get("watch") == "true" {
		return t.next.RoundTrip(req)
	}
	if err := t.l.acquire(req.Context()); err != nil {
		return nil, err
	}
	resp, err := t.next.RoundTrip(req)
	if err != nil || resp.Body == nil {
		t.l.release()
		return resp, err
	}
	resp.Body = &releasingBody{ReadCloser: resp.Body, release: t.l.release}
	return resp, nil
}

// releasingBody frees the request's slot when the body is closed or read to
// the end, whichever comes first.
type releasingBody struct {
	io.ReadCloser
	once    sync.Once
	release func()
}

func (b *releasingBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	if err != nil {
		b.once.Do(b.release)
	}
	return n, err
}

func (b *releasingBody) Close() error {
	err := b.ReadCloser.Close()
	b.once.Do(b.release)
	return err
}
