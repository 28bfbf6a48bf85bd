package secretstores

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"sync"
)

// server is the part all servers share: a loopback HTTP server that
// records the requests it got.
type server struct {
	srv *httptest.Server
	mu  sync.Mutex
	log []Request
}

// Request is what a server recorded of one request.
type Request struct {
	Method, Path string
	Header       http.Header
}

func (s *server) start(h http.HandlerFunc) {
	s.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		s.log = append(s.log, Request{Method: r.Method, Path: r.URL.RequestURI(), Header: r.Header.Clone()})
		s.mu.Unlock()
		h(w, r)
	}))
}

// URL is the server's base URL, http://127.0.0.1:PORT.
func (s *server) URL() string { return s.srv.URL }

// Host is the server's host:port.
func (s *server) Host() string { return s.srv.Listener.Addr().String() }

// Requests returns the requests the server got so far.
func (s *server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Request(nil), s.log...)
}

// Close stops the server.
func (s *server) Close() { s.srv.Close() }

func writeJSON(w http.ResponseWriter, contentType string, status int, v any) {
	w.Header().Set("Content-Type", contentType)
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}
