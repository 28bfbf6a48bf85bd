package webui

import (
	"fmt"
	"net/http/httptest"
	"testing"
	"time"

	"golang.org/x/time/rate"
)

// One client guessing passwords is slowed down without locking out the
// others; the clients remembered are bounded.
func TestLoginLimiterPerClient(t *testing.T) {
	l := newLoginLimiter()
	l.perClient = func() *rate.Limiter { return rate.NewLimiter(rate.Every(time.Hour), 3) }
	from := func(addr string) bool {
		r := httptest.NewRequest("POST", "/auth/staticLogin", nil)
		r.RemoteAddr = addr
		return l.allow(r)
	}
	for i := 0; i < 3; i++ {
		if !from("203.0.113.7:40000") {
			t.Fatalf("attempt %d of the guessing client refused too early", i+1)
		}
	}
	if from("203.0.113.7:40001") {
		t.Error("the guessing client got a fourth attempt (another port, same address)")
	}
	if !from("198.51.100.2:5000") {
		t.Error("another client is locked out")
	}
	for i := 0; i < 2*maxLoginClients; i++ {
		from(fmt.Sprintf("10.0.%d.%d:1", i/256, i%256))
	}
	if n := len(l.clients); n > maxLoginClients {
		t.Errorf("%d clients remembered, want at most %d", n, maxLoginClients)
	}
}
