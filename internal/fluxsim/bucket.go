package fluxsim

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"net"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"
)

// BucketOptions configures StartBucketServer.
type BucketOptions struct {
	// AccessKey, when set, is the access key that every request must be
	// signed with (AWS Signature Version 4, as source-controller signs with
	// the accesskey of a Bucket's secretRef); other requests get 403
	// AccessDenied. The signature itself, and so the secret key, is not
	// checked.
	AccessKey string
}

// BucketServer is an S3-compatible object store on a free loopback port,
// for Flux Buckets of provider generic: spec.endpoint is Endpoint() and
// spec.insecure is true (plain HTTP). It is gofakes3 with its in-memory
// backend, run in the calling process; the objects go with it.
type BucketServer struct {
	backend  *s3mem.Backend
	server   *http.Server
	listener net.Listener
	done     chan struct{}

	closeOnce sync.Once
	closeErr  error
}

// StartBucketServer starts a BucketServer on 127.0.0.1 and returns once it
// accepts connections. Close stops it.
func StartBucketServer(opts BucketOptions) (*BucketServer, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("listen for the bucket server: %w", err)
	}
	backend := s3mem.New()
	handler := gofakes3.New(backend).Server()
	if opts.AccessKey != "" {
		handler = requireAccessKey(opts.AccessKey, handler)
	}
	b := &BucketServer{
		backend:  backend,
		server:   &http.Server{Handler: handler, ReadHeaderTimeout: 10 * time.Second},
		listener: l,
		done:     make(chan struct{}),
	}
	go func() {
		defer close(b.done)
		_ = b.server.Serve(l)
	}()
	return b, nil
}

// Endpoint returns the server's host:port, a Bucket's spec.endpoint.
func (b *BucketServer) Endpoint() string { return b.listener.Addr().String() }

// Put stores files as objects of bucket, each under its key (a path with
// slashes), creating the bucket first when it does not exist. Objects
// already there under other keys stay.
func (b *BucketServer) Put(bucket string, files map[string][]byte) error {
	if err := b.backend.CreateBucket(bucket); err != nil && !gofakes3.IsAlreadyExists(err) {
		return fmt.Errorf("create bucket %s: %w", bucket, err)
	}
	keys := make([]string, 0, len(files))
	for k := range files {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		data := files[k]
		// The header gofakes3 records for an upload over HTTP; without it
		// a GET answers no Last-Modified, which S3 clients refuse.
		meta := map[string]string{"Last-Modified": time.Now().UTC().Format(http.TimeFormat)}
		if _, err := b.backend.PutObject(bucket, k, meta, bytes.NewReader(data), int64(len(data)), nil); err != nil {
			return fmt.Errorf("put %s/%s: %w", bucket, k, err)
		}
	}
	return nil
}

// Delete removes the objects of bucket under keys.
func (b *BucketServer) Delete(bucket string, keys ...string) error {
	res, err := b.backend.DeleteMulti(bucket, keys...)
	if err != nil {
		return fmt.Errorf("delete from bucket %s: %w", bucket, err)
	}
	if err := res.AsError(); err != nil {
		return fmt.Errorf("delete from bucket %s: %w", bucket, err)
	}
	return nil
}

// Close stops the server and waits until it has stopped serving. Close is
// safe to call more than once.
func (b *BucketServer) Close() error {
	b.closeOnce.Do(func() {
		if err := b.server.Close(); err != nil {
			b.closeErr = fmt.Errorf("close the bucket server: %w", err)
		}
		<-b.done
	})
	return b.closeErr
}

// requireAccessKey answers 403 AccessDenied, in S3's XML, to requests not
// signed with accessKey, and passes the others to next.
func requireAccessKey(accessKey string, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if got := requestAccessKey(r); got != accessKey {
			w.Header().Set("Content-Type", "application/xml")
			w.WriteHeader(http.StatusForbidden)
			_ = xml.NewEncoder(w).Encode(struct {
				XMLName xml.Name `xml:"Error"`
				Code    string   `xml:"Code"`
				Message string   `xml:"Message"`
			}{Code: "AccessDenied", Message: fmt.Sprintf("access key %q is not allowed", got)})
			return
		}
		next.ServeHTTP(w, r)
	})
}

// requestAccessKey returns the access key of a request signed with AWS
// Signature Version 4: from the Credential of the Authorization header, or
// from X-Amz-Credential of a presigned URL.
func requestAccessKey(r *http.Request) string {
	cred := r.URL.Query().Get("X-Amz-Credential")
	if auth := r.Header.Get("Authorization"); strings.HasPrefix(auth, "AWS4-HMAC-SHA256 ") {
		for part := range strings.SplitSeq(strings.TrimPrefix(auth, "AWS4-HMAC-SHA256 "), ",") {
			if v, ok := strings.CutPrefix(strings.TrimSpace(part), "Credential="); ok {
				cred = v
			}
		}
	}
	key, _, _ := strings.Cut(cred, "/")
	return key
}
