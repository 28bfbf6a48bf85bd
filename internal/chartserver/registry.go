package chartserver

import (
	"context"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	ggcr "github.com/google/go-containerregistry/pkg/registry"
	"helm.sh/helm/v3/pkg/registry"
)

// RegistryOptions configure StartRegistry.
type RegistryOptions struct {
	// User and Password protect every request with basic auth; an empty
	// User means no auth.
	User, Password string
}

// Registry is a running in-memory OCI registry (go-containerregistry's) on
// plain http, holding Helm charts as OCI artifacts.
type Registry struct {
	srv   *http.Server
	ln    net.Listener
	user  string
	pass  string
	dir   string // holds the pushing client's (empty) credentials file
	close sync.Once

	// traffic: SetDown drops every connection unanswered (see wrap).
	traffic
}

// StartRegistry serves an empty OCI registry on a free loopback port.
func StartRegistry(opts RegistryOptions) (*Registry, error) {
	dir, err := os.MkdirTemp("", "chartserver-registry-")
	if err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		_ = os.RemoveAll(dir)
		return nil, err
	}
	r := &Registry{ln: ln, user: opts.User, pass: opts.Password, dir: dir}
	h := ggcr.New(ggcr.Logger(log.New(io.Discard, "", 0)))
	r.srv = &http.Server{Handler: r.wrap(h), ReadHeaderTimeout: 10 * time.Second, ErrorLog: log.New(io.Discard, "", 0)}
	go func() { _ = r.srv.Serve(ln) }()
	return r, nil
}

// wrap records requests and answers for down and unauthorized. The Helm
// registry client (oras-go) only sends credentials in answer to a 401 with
// a "WWW-Authenticate: Basic" challenge; a 401 without one is final.
func (r *Registry) wrap(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		down := r.record(req)
		if down {
			// Drop the connection without an answer: Helm's registry
			// client (oras-go) retries 5xx answers with backoff for about
			// six seconds, but fails at once on a dropped connection.
			panic(http.ErrAbortHandler)
		}
		if r.user != "" {
			u, p, ok := req.BasicAuth()
			if !ok || u != r.user || p != r.pass {
				w.Header().Set("WWW-Authenticate", `Basic realm="chartserver"`)
				w.Header().Set("Content-Type", "application/json")
				w.WriteHeader(http.StatusUnauthorized)
				_, _ = io.WriteString(w, `{"errors":[{"code":"UNAUTHORIZED","message":"authentication required"}]}`)
				return
			}
		}
		next.ServeHTTP(w, req)
	})
}

// Host returns host:port of the registry, for `helm registry login`.
func (r *Registry) Host() string { return r.ln.Addr().String() }

// URL returns the oci:// URL of repository repo: oci://host:port/<repo>.
func (r *Registry) URL(repo string) string {
	return "oci://" + r.Host() + "/" + strings.Trim(repo, "/")
}

// PushChart pushes the chart archive tgz to repository repo with the Helm
// SDK's registry client, as `helm push` does (config
// application/vnd.cncf.helm.config.v1+json with Chart.yaml as JSON, one
// layer application/vnd.cncf.helm.chart.content.v1.tar+gzip), tagged
// version, or the chart's own version when version is empty ("+" becomes
// "_" as Helm does). repo is the full repository path, usually ending in
// the chart name. It returns the reference host:port/repo:tag.
func (r *Registry) PushChart(repo string, tgz []byte, version string) (string, error) {
	if version == "" {
		md, err := chartMetadata(tgz)
		if err != nil {
			return "", err
		}
		version = md.Version
	}
	ref := r.Host() + "/" + strings.Trim(repo, "/") + ":" + strings.ReplaceAll(version, "+", "_")
	opts := []registry.ClientOption{
		registry.ClientOptPlainHTTP(),
		registry.ClientOptWriter(io.Discard),
		registry.ClientOptCredentialsFile(filepath.Join(r.dir, "config.json")),
	}
	if r.user != "" {
		opts = append(opts, registry.ClientOptBasicAuth(r.user, r.pass))
	}
	c, err := registry.NewClient(opts...)
	if err != nil {
		return "", fmt.Errorf("registry client: %w", err)
	}
	if _, err := c.Push(tgz, ref, registry.PushOptStrictMode(false)); err != nil {
		return "", fmt.Errorf("push chart to %s: %w", ref, err)
	}
	return ref, nil
}

// Close stops the registry.
func (r *Registry) Close() error {
	var err error
	r.close.Do(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		err = r.srv.Shutdown(ctx)
		_ = os.RemoveAll(r.dir)
	})
	return err
}
