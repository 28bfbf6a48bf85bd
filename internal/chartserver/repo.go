package chartserver

import (
	"bytes"
	"context"
	"crypto/tls"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"os"
	"path"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"helm.sh/helm/v3/pkg/provenance"
	"helm.sh/helm/v3/pkg/repo"
	"sigs.k8s.io/yaml"
)

// RepoOptions configure StartRepo.
type RepoOptions struct {
	// TLS serves https with a certificate for 127.0.0.1 and localhost,
	// signed by a CA generated in-process (see Repo.CAFile).
	TLS bool
	// ClientCert requires a client certificate signed by the same CA (see
	// Repo.CertFile and Repo.KeyFile). It implies TLS.
	ClientCert bool
	// User and Password protect every path with basic auth; an empty User
	// means no auth.
	User, Password string
	// Dir receives ca.pem, client.pem and client-key.pem when TLS is on;
	// empty uses a new temporary folder that Close removes.
	Dir string
}

// Repo is a running Helm chart repository: GET <repoPath>/index.yaml and
// GET <repoPath>/<name>-<version>.tgz, as `helm repo index` lays them out.
type Repo struct {
	srv     *http.Server
	ln      net.Listener
	scheme  string
	user    string
	pass    string
	dir     string
	tempDir bool
	ca      *authority
	done    chan struct{}
	close   sync.Once

	traffic // SetDown answers every request with 503

	mu      sync.Mutex
	files   map[string][]byte // slash path below the root -> content
	indexes map[string]*repo.IndexFile
	abort   bool
	delay   time.Duration
}

// StartRepo serves an empty chart repository on a free loopback port.
func StartRepo(opts RepoOptions) (*Repo, error) {
	r := &Repo{
		scheme:  "http",
		user:    opts.User,
		pass:    opts.Password,
		done:    make(chan struct{}),
		files:   map[string][]byte{},
		indexes: map[string]*repo.IndexFile{},
	}
	var tlsConfig *tls.Config
	if opts.TLS || opts.ClientCert {
		ca, err := newAuthority()
		if err != nil {
			return nil, err
		}
		r.ca, r.scheme, r.dir = ca, "https", opts.Dir
		if r.dir == "" {
			if r.dir, err = os.MkdirTemp("", "chartserver-tls-"); err != nil {
				return nil, err
			}
			r.tempDir = true
		}
		if err := ca.writeFiles(r.dir); err != nil {
			r.removeDir()
			return nil, err
		}
		tlsConfig = &tls.Config{Certificates: []tls.Certificate{ca.server}, MinVersion: tls.VersionTLS12}
		if opts.ClientCert {
			tlsConfig.ClientAuth = tls.RequireAndVerifyClientCert
			tlsConfig.ClientCAs = ca.pool
		}
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		r.removeDir()
		return nil, err
	}
	r.ln = ln
	// ErrorLog is silenced: refused client certificates are expected.
	r.srv = &http.Server{Handler: r, ReadHeaderTimeout: 10 * time.Second, TLSConfig: tlsConfig, ErrorLog: log.New(io.Discard, "", 0)}
	go func() {
		if tlsConfig != nil {
			_ = r.srv.ServeTLS(ln, "", "")
			return
		}
		_ = r.srv.Serve(ln)
	}()
	return r, nil
}

// URL returns the repository URL of repoPath, to use with `helm repo add`
// or as a helmChart repo: https://127.0.0.1:PORT/<repoPath>. An empty
// repoPath is the root.
func (r *Repo) URL(repoPath string) string {
	u := r.scheme + "://" + r.ln.Addr().String()
	if p := strings.Trim(repoPath, "/"); p != "" {
		u += "/" + p
	}
	return u
}

// Add stores the chart archive tgz in repoPath as <name>-<version>.tgz and
// adds it to that path's index.yaml (replacing the same name and version),
// with its digest and a URL relative to the index, as `helm repo index`
// writes it.
func (r *Repo) Add(repoPath string, tgz []byte) error {
	md, err := chartMetadata(tgz)
	if err != nil {
		return err
	}
	digest, err := provenance.Digest(bytes.NewReader(tgz))
	if err != nil {
		return err
	}
	repoPath = strings.Trim(repoPath, "/")
	filename := fmt.Sprintf("%s-%s.tgz", md.Name, md.Version)

	r.mu.Lock()
	defer r.mu.Unlock()
	idx := r.indexes[repoPath]
	if idx == nil {
		idx = repo.NewIndexFile()
		r.indexes[repoPath] = idx
	}
	versions := idx.Entries[md.Name][:0:0]
	for _, v := range idx.Entries[md.Name] {
		if v.Version != md.Version {
			versions = append(versions, v)
		}
	}
	idx.Entries[md.Name] = versions
	if err := idx.MustAdd(md, filename, "", digest); err != nil {
		return fmt.Errorf("index chart %s in %q: %w", filename, repoPath, err)
	}
	idx.SortEntries()
	idx.Generated = time.Now()
	r.files[path.Join(repoPath, filename)] = tgz
	return nil
}

// SetAbortDownloads makes chart downloads (.tgz) send their full
// Content-Length but only the first half of the bytes before the connection
// is cut (true), simulating an interrupted pull, or work again (false).
func (r *Repo) SetAbortDownloads(abort bool) {
	r.mu.Lock()
	r.abort = abort
	r.mu.Unlock()
}

// SetDownloadDelay makes chart downloads (.tgz) wait d before sending the
// body, simulating a slow server; zero turns it off.
func (r *Repo) SetDownloadDelay(d time.Duration) {
	r.mu.Lock()
	r.delay = d
	r.mu.Unlock()
}

// CAPEM returns the PEM of the CA that signed the server certificate, or
// nil without TLS.
func (r *Repo) CAPEM() []byte {
	if r.ca == nil {
		return nil
	}
	return r.ca.caPEM
}

// CAFile returns the path of the CA PEM, for --helm-ca-file; empty without
// TLS.
func (r *Repo) CAFile() string { return r.tlsFile("ca.pem") }

// CertFile returns the path of a client certificate signed by the CA, for
// --helm-cert-file; empty without TLS.
func (r *Repo) CertFile() string { return r.tlsFile("client.pem") }

// KeyFile returns the path of the client certificate's key, for
// --helm-key-file; empty without TLS.
func (r *Repo) KeyFile() string { return r.tlsFile("client-key.pem") }

func (r *Repo) tlsFile(name string) string {
	if r.ca == nil {
		return ""
	}
	return filepath.Join(r.dir, name)
}

// Close stops the server and removes the temporary TLS folder.
func (r *Repo) Close() error {
	var err error
	r.close.Do(func() {
		close(r.done)
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		err = r.srv.Shutdown(ctx)
		r.removeDir()
	})
	return err
}

func (r *Repo) removeDir() {
	if r.tempDir {
		_ = os.RemoveAll(r.dir)
	}
}

// ServeHTTP serves index.yaml and chart archives.
func (r *Repo) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	down := r.record(req)
	r.mu.Lock()
	abort, delay := r.abort, r.delay
	r.mu.Unlock()
	if down {
		http.Error(w, "server is down", http.StatusServiceUnavailable)
		return
	}
	if r.user != "" {
		u, p, ok := req.BasicAuth()
		if !ok || u != r.user || p != r.pass {
			w.Header().Set("WWW-Authenticate", `Basic realm="chartserver"`)
			http.Error(w, "unauthorized", http.StatusUnauthorized)
			return
		}
	}
	if req.Method != http.MethodGet && req.Method != http.MethodHead {
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	body, contentType, ok := r.lookup(strings.Trim(path.Clean(req.URL.Path), "/"))
	if !ok {
		http.NotFound(w, req)
		return
	}
	w.Header().Set("Content-Type", contentType)
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	if req.Method == http.MethodHead {
		return
	}
	isChart := strings.HasSuffix(req.URL.Path, ".tgz")
	if isChart && delay > 0 {
		t := time.NewTimer(delay)
		defer t.Stop()
		select {
		case <-t.C:
		case <-req.Context().Done():
			return
		case <-r.done:
			return
		}
	}
	if isChart && abort {
		w.WriteHeader(http.StatusOK)
		_, _ = w.Write(body[:len(body)/2])
		_ = http.NewResponseController(w).Flush()
		// ErrAbortHandler makes the server drop the connection (HTTP/1)
		// or reset the stream (HTTP/2) without logging a panic.
		panic(http.ErrAbortHandler)
	}
	_, _ = w.Write(body)
}

// lookup finds the file at slash path p below the root.
func (r *Repo) lookup(p string) (body []byte, contentType string, ok bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if p == "index.yaml" || strings.HasSuffix(p, "/index.yaml") {
		idx := r.indexes[strings.TrimSuffix(strings.TrimSuffix(p, "index.yaml"), "/")]
		if idx == nil {
			return nil, "", false
		}
		b, err := yaml.Marshal(idx)
		if err != nil {
			return nil, "", false
		}
		return b, "application/x-yaml", true
	}
	b, ok := r.files[p]
	return b, "application/gzip", ok
}
