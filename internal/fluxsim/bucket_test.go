package fluxsim

import (
	"context"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/kluctl-go/kluctl/internal/simcluster"
)

var buckets = schema.GroupVersionResource{Group: "source.toolkit.fluxcd.io", Version: "v1", Resource: "buckets"}

func TestBucketServerRequiresTheAccessKey(t *testing.T) {
	srv, err := StartBucketServer(BucketOptions{AccessKey: "flux"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := srv.Close(); err != nil {
			t.Error(err)
		}
	})
	if err := srv.Put("projects", map[string][]byte{"app/configmap.yaml": []byte("kind: ConfigMap\n")}); err != nil {
		t.Fatal(err)
	}
	list := func(auth string) (int, string) {
		t.Helper()
		req, err := http.NewRequest(http.MethodGet, "http://"+srv.Endpoint()+"/projects?list-type=2", nil)
		if err != nil {
			t.Fatal(err)
		}
		if auth != "" {
			req.Header.Set("Authorization", auth)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, err := io.ReadAll(resp.Body)
		if err != nil {
			t.Fatal(err)
		}
		return resp.StatusCode, string(body)
	}
	const signed = "AWS4-HMAC-SHA256 Credential=%s/20250101/us-east-1/s3/aws4_request, SignedHeaders=host, Signature=0"
	for _, tt := range []struct {
		name     string
		auth     string
		wantCode int
		wantBody string
	}{
		{name: "unsigned", wantCode: http.StatusForbidden, wantBody: "<Code>AccessDenied</Code>"},
		{name: "another access key", auth: strings.Replace(signed, "%s", "someone", 1), wantCode: http.StatusForbidden, wantBody: "<Code>AccessDenied</Code>"},
		{name: "the access key", auth: strings.Replace(signed, "%s", "flux", 1), wantCode: http.StatusOK, wantBody: "<Key>app/configmap.yaml</Key>"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			code, body := list(tt.auth)
			if code != tt.wantCode || !strings.Contains(body, tt.wantBody) {
				t.Errorf("GET: %d %s, want %d with %s", code, body, tt.wantCode, tt.wantBody)
			}
		})
	}
	if err := srv.Delete("projects", "app/configmap.yaml"); err != nil {
		t.Fatal(err)
	}
	if _, body := list(strings.Replace(signed, "%s", "flux", 1)); strings.Contains(body, "<Key>") {
		t.Errorf("listing after the delete: %s", body)
	}
}

// TestBucketFromS3ServerBecomesDownloadableArtifact: source-controller
// turns a Bucket of provider generic, on the loopback S3 server with an
// access key secret, into an artifact of the bucket's objects, and into a
// new one when an object changes.
func TestBucketFromS3ServerBecomesDownloadableArtifact(t *testing.T) {
	cluster := simcluster.Current(t)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	sc, err := Start(ctx, cluster, Options{Output: testLogWriter{t}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { stopAndCheckCleanedUp(t, sc) })
	const accessKey, secretKey = "flux", "s3cret-key"
	srv, err := StartBucketServer(BucketOptions{AccessKey: accessKey})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = srv.Close() })
	files := map[string][]byte{"deploy/configmap.yaml": []byte("kind: ConfigMap\n"), "README.md": []byte("# app\n")}
	if err := srv.Put("projects", files); err != nil {
		t.Fatal(err)
	}

	ns, dc := secretNamespace(t, ctx, cluster, "bucket-auth", map[string]string{"accesskey": accessKey, "secretkey": secretKey})
	bucket := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "source.toolkit.fluxcd.io/v1",
		"kind":       "Bucket",
		"metadata":   map[string]any{"name": "projects", "namespace": ns},
		"spec": map[string]any{
			"provider": "generic", "bucketName": "projects", "endpoint": srv.Endpoint(), "insecure": true,
			"interval": "2s", "secretRef": map[string]any{"name": "bucket-auth"},
		},
	}}
	if _, err := dc.Resource(buckets).Namespace(ns).Create(ctx, bucket, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	first := waitForSource(ctx, t, dc, buckets, ns, "projects", "ready artifact", func(a artifact) bool {
		return a.Ready && a.URL != "" && a.Digest != ""
	})
	if !strings.HasPrefix(first.Revision, "sha256:") {
		t.Errorf("revision %q is not a sha256 digest of the objects", first.Revision)
	}
	want := map[string]string{"deploy/configmap.yaml": "kind: ConfigMap\n", "README.md": "# app\n"}
	if diff := cmp.Diff(want, downloadArtifact(t, first)); diff != "" {
		t.Errorf("first artifact (-want +got):\n%s", diff)
	}

	if err := srv.Put("projects", map[string][]byte{"deploy/configmap.yaml": []byte("kind: ConfigMap\ndata: {}\n")}); err != nil {
		t.Fatal(err)
	}
	second := waitForSource(ctx, t, dc, buckets, ns, "projects", "artifact of the changed object", func(a artifact) bool {
		return a.Ready && a.URL != "" && a.Revision != first.Revision
	})
	want["deploy/configmap.yaml"] = "kind: ConfigMap\ndata: {}\n"
	if diff := cmp.Diff(want, downloadArtifact(t, second)); diff != "" {
		t.Errorf("second artifact (-want +got):\n%s", diff)
	}
}
