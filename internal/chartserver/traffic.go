package chartserver

import (
	"net/http"
	"sync"
)

// traffic records the requests a server got and whether it is down.
type traffic struct {
	tmu      sync.Mutex
	requests []string
	down     bool
}

// Requests returns "METHOD path" of every request so far, in order,
// including refused ones (down, unauthorized), so a test can assert that
// nothing was fetched.
func (t *traffic) Requests() []string {
	t.tmu.Lock()
	defer t.tmu.Unlock()
	return append([]string(nil), t.requests...)
}

// ResetRequests forgets the requests recorded so far.
func (t *traffic) ResetRequests() {
	t.tmu.Lock()
	t.requests = nil
	t.tmu.Unlock()
}

// SetDown makes every request fail (true) or work again (false); how
// depends on the server.
func (t *traffic) SetDown(down bool) {
	t.tmu.Lock()
	t.down = down
	t.tmu.Unlock()
}

// record records req and tells whether the server is down.
func (t *traffic) record(req *http.Request) bool {
	t.tmu.Lock()
	defer t.tmu.Unlock()
	t.requests = append(t.requests, req.Method+" "+req.URL.Path)
	return t.down
}
