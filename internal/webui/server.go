package webui

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"net/http"
	"strings"
	"time"
)

// Options configure a Server.
type Options struct {
	// PathPrefix mounts everything below it ("/kluctl"); "" is the root.
	PathPrefix string
	// OnlyAPI serves no UI files.
	OnlyAPI bool
	// ControllerNamespace is where the controller pods (logs) and the
	// auth Secrets are.
	ControllerNamespace string
	Auth                AuthOptions
	// Logf reports what the server does (never secrets).
	Logf func(format string, args ...any)
	// LocalOnly serves only requests addressed to localhost (their Host a
	// loopback name or address). Without authentication every visitor is
	// admin; this keeps other sites from reaching the UI through DNS
	// rebinding, a name of theirs that resolves to 127.0.0.1.
	LocalOnly bool
}

// Server is the web UI of some clusters.
type Server struct {
	opts     Options
	clusters []*Cluster
	hub      *hub
	auth     *auth
	handler  http.Handler
	prefix   string
}

// NormalizePrefix turns "kluctl/", "/kluctl" or "/" into "/kluctl" or "".
func NormalizePrefix(p string) string {
	p = strings.Trim(p, "/")
	if p == "" {
		return ""
	}
	return "/" + p
}

// NewServer builds the server of clusters. With authentication, its
// Secrets are read from (or generated in) authCluster.
func NewServer(ctx context.Context, clusters []*Cluster, authCluster *Cluster, opts Options) (*Server, error) {
	if len(clusters) == 0 {
		return nil, errors.New("no cluster to show")
	}
	if opts.Logf == nil {
		opts.Logf = func(string, ...any) {}
	}
	if opts.ControllerNamespace == "" {
		opts.ControllerNamespace = "kluctl-system"
	}
	s := &Server{opts: opts, clusters: clusters, hub: newHub(), prefix: NormalizePrefix(opts.PathPrefix)}
	a := &auth{opts: opts.Auth}
	if opts.Auth.Enabled {
		if authCluster == nil {
			return nil, errors.New("authentication needs a cluster for its Secrets")
		}
		cl, err := authCluster.client("")
		if err != nil {
			return nil, err
		}
		if a, err = newAuth(ctx, cl, opts.Auth, s.prefix); err != nil {
			return nil, fmt.Errorf("set up authentication: %w", err)
		}
	}
	s.auth = a
	mux := http.NewServeMux()
	p := s.prefix
	a.routes(mux, p)
	s.apiRoutes(mux, p)
	mux.HandleFunc("GET "+p+"/healthz", func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusOK) })
	mux.HandleFunc("GET "+p+"/readyz", func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusOK) })
	if !opts.OnlyAPI {
		files, err := UIFiles()
		if err != nil {
			return nil, err
		}
		if p != "" {
			mux.Handle("GET "+p, http.RedirectHandler(p+"/", http.StatusMovedPermanently))
		}
		mux.Handle("GET "+p+"/", http.StripPrefix(p, http.FileServer(http.FS(files))))
	}
	s.handler = securityHeaders(guard(mux, opts.LocalOnly))
	return s, nil
}

// Handler serves the UI and the API.
func (s *Server) Handler() http.Handler { return s.handler }

// Collect watches the clusters until ctx ends; the channel is closed when
// the KluctlDeployments of every cluster are listed.
func (s *Server) Collect(ctx context.Context) <-chan struct{} {
	done := make(chan struct{})
	var chans []<-chan struct{}
	for _, c := range s.clusters {
		chans = append(chans, collect(ctx, c, s.hub, s.opts.Logf))
	}
	go func() {
		for _, ch := range chans {
			<-ch
		}
		close(done)
	}()
	return done
}

// Serve collects and serves on ln until ctx ends, then shuts down.
func (s *Server) Serve(ctx context.Context, ln net.Listener) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	s.Collect(ctx)
	srv := &http.Server{Handler: s.handler, ReadHeaderTimeout: 10 * time.Second, BaseContext: func(net.Listener) context.Context { return ctx }}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	shut, cancelShut := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancelShut()
	_ = srv.Shutdown(shut)
	if err := <-errc; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

func (s *Server) logf(format string, args ...any) { s.opts.Logf(format, args...) }

// guard refuses requests other sites could make a browser send: changes
// (every method but GET, HEAD and OPTIONS) must come from the UI's own
// origin, as Sec-Fetch-Site or Origin tell; with localOnly, requests must
// be addressed to a loopback host.
func guard(h http.Handler, localOnly bool) http.Handler {
	cop := http.NewCrossOriginProtection()
	cop.SetDenyHandler(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		http.Error(w, "cross-origin request refused", http.StatusForbidden)
	}))
	return cop.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if localOnly && !LoopbackHost(r.Host) {
			http.Error(w, fmt.Sprintf("host %q refused: without authentication the UI answers only to localhost", r.Host), http.StatusForbidden)
			return
		}
		h.ServeHTTP(w, r)
	}))
}

// LoopbackHost reports whether a host (or a Host header, with a port)
// names this machine's loopback interface.
func LoopbackHost(hostport string) bool {
	host := hostport
	if h, _, err := net.SplitHostPort(hostport); err == nil {
		host = h
	}
	host = strings.TrimSuffix(strings.Trim(host, "[]"), ".")
	if strings.EqualFold(host, "localhost") || strings.HasSuffix(strings.ToLower(host), ".localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// securityHeaders keeps the UI out of frames and other sites' scripts.
func securityHeaders(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hd := w.Header()
		hd.Set("X-Content-Type-Options", "nosniff")
		hd.Set("X-Frame-Options", "DENY")
		hd.Set("Referrer-Policy", "same-origin")
		hd.Set("Content-Security-Policy", "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; connect-src 'self' ws: wss:; frame-ancestors 'none'")
		h.ServeHTTP(w, r)
	})
}

// UIFiles are the UI's files built into the binary.
func UIFiles() (fs.FS, error) {
	return fs.Sub(uiFS, "ui")
}
