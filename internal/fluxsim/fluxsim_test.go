package fluxsim

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"

	"github.com/kluctl-go/kluctl/internal/gitserver"
	"github.com/kluctl-go/kluctl/internal/simcluster"
)

func TestMain(m *testing.M) {
	os.Exit(simcluster.RunMain(m, simcluster.Options{Progress: os.Stderr}))
}

var gitRepositories = schema.GroupVersionResource{Group: "source.toolkit.fluxcd.io", Version: "v1", Resource: "gitrepositories"}

// artifact is what a GitRepository reports in status.artifact, with the
// Ready condition and the last handled reconcile request.
type artifact struct {
	URL, Revision, Digest string
	Ready                 bool
	LastHandled           string
}

func TestGitRepositoryFromBasicAuthGitServerBecomesDownloadableArtifact(t *testing.T) {
	cluster := simcluster.Current(t)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()

	sc, err := Start(ctx, cluster, Options{Output: testLogWriter{t}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { stopAndCheckCleanedUp(t, sc) })

	const user, password = "flux", "s3cret"
	git, err := gitserver.Start(t.TempDir(), gitserver.Options{User: user, Password: password})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = git.Close() })
	first, err := git.Commit("app", "main", map[string][]byte{"deploy/configmap.yaml": []byte("kind: ConfigMap\n")}, "first")
	if err != nil {
		t.Fatal(err)
	}

	ns, dc := secretNamespace(t, ctx, cluster, "git-auth", map[string]string{"username": user, "password": password})
	repo := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "source.toolkit.fluxcd.io/v1",
		"kind":       "GitRepository",
		"metadata":   map[string]any{"name": "app", "namespace": ns},
		"spec": map[string]any{
			"url":       git.URL("app"),
			"interval":  "1m",
			"ref":       map[string]any{"branch": "main"},
			"secretRef": map[string]any{"name": "git-auth"},
		},
	}}
	if _, err := dc.Resource(gitRepositories).Namespace(ns).Create(ctx, repo, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}

	got := waitForArtifact(ctx, t, dc, ns, "app", "main@sha1:"+first, "")
	if !strings.HasPrefix(got.URL, sc.StorageURL()+"/gitrepository/"+ns+"/app/") {
		t.Errorf("artifact URL %q does not start with %s/gitrepository/%s/app/", got.URL, sc.StorageURL(), ns)
	}
	files := downloadArtifact(t, got)
	if diff := cmp.Diff(map[string]string{"deploy/configmap.yaml": "kind: ConfigMap\n"}, files); diff != "" {
		t.Errorf("first artifact (-want +got):\n%s", diff)
	}

	second, err := git.Commit("app", "main", map[string][]byte{"deploy/secret.yaml": []byte("kind: Secret\n")}, "second")
	if err != nil {
		t.Fatal(err)
	}
	requestedAt := time.Now().UTC().Format(time.RFC3339Nano)
	patch := fmt.Sprintf(`{"metadata":{"annotations":{"reconcile.fluxcd.io/requestedAt":%q}}}`, requestedAt)
	if _, err := dc.Resource(gitRepositories).Namespace(ns).Patch(ctx, "app", types.MergePatchType, []byte(patch), metav1.PatchOptions{}); err != nil {
		t.Fatal(err)
	}
	got = waitForArtifact(ctx, t, dc, ns, "app", "main@sha1:"+second, requestedAt)
	files = downloadArtifact(t, got)
	want := map[string]string{"deploy/configmap.yaml": "kind: ConfigMap\n", "deploy/secret.yaml": "kind: Secret\n"}
	if diff := cmp.Diff(want, files); diff != "" {
		t.Errorf("second artifact (-want +got):\n%s", diff)
	}
}

func TestInstallCRDsTwiceKeepsTheSourceKindsEstablished(t *testing.T) {
	cluster := simcluster.Current(t)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	binPath, err := Build(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	crds, err := readCRDs(filepath.Join(filepath.Dir(binPath), crdDirName))
	if err != nil {
		t.Fatal(err)
	}
	dc, err := dynamic.NewForConfig(cluster.RESTConfig())
	if err != nil {
		t.Fatal(err)
	}
	for range 2 {
		if err := installCRDs(ctx, dc, crds); err != nil {
			t.Fatal(err)
		}
	}
	list, err := dc.Resource(crdResource).List(ctx, metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var kinds []string
	for _, crd := range list.Items {
		group, _, _ := unstructured.NestedString(crd.Object, "spec", "group")
		kind, _, _ := unstructured.NestedString(crd.Object, "spec", "names", "kind")
		if group == gitRepositories.Group && established(&crd) {
			kinds = append(kinds, kind)
		}
	}
	slices.Sort(kinds)
	want := []string{"Bucket", "ExternalArtifact", "GitRepository", "HelmChart", "HelmRepository", "OCIRepository"}
	if diff := cmp.Diff(want, kinds); diff != "" {
		t.Errorf("established source.toolkit.fluxcd.io kinds (-want +got):\n%s", diff)
	}
}

// waitForArtifact polls the GitRepository until it is Ready with an
// artifact of revision and, when requestedAt is set, has handled that
// reconcile request. The interval is a minute, so only the request makes the
// second revision arrive within the wait.
func waitForArtifact(ctx context.Context, t *testing.T, dc dynamic.Interface, ns, name, revision, requestedAt string) artifact {
	t.Helper()
	return waitForSource(ctx, t, dc, gitRepositories, ns, name, "a ready artifact of "+revision, func(a artifact) bool {
		return a.Ready && a.Revision == revision && a.URL != "" && a.Digest != "" &&
			(requestedAt == "" || a.LastHandled == requestedAt)
	})
}

// waitForSource polls the source of resource gvr until ok holds for its
// artifact, for at most 45s.
func waitForSource(ctx context.Context, t *testing.T, dc dynamic.Interface, gvr schema.GroupVersionResource, ns, name, what string, ok func(artifact) bool) artifact {
	t.Helper()
	ctx, cancel := context.WithTimeout(ctx, 45*time.Second)
	defer cancel()
	var last artifact
	for {
		obj, err := dc.Resource(gvr).Namespace(ns).Get(ctx, name, metav1.GetOptions{})
		if err == nil {
			last = artifactOf(obj)
			if ok(last) {
				return last
			}
		}
		select {
		case <-ctx.Done():
			t.Fatalf("%s %s/%s: no %s: last seen %+v", gvr.Resource, ns, name, what, last)
		case <-time.After(200 * time.Millisecond):
		}
	}
}

func artifactOf(obj *unstructured.Unstructured) artifact {
	var a artifact
	a.URL, _, _ = unstructured.NestedString(obj.Object, "status", "artifact", "url")
	a.Revision, _, _ = unstructured.NestedString(obj.Object, "status", "artifact", "revision")
	a.Digest, _, _ = unstructured.NestedString(obj.Object, "status", "artifact", "digest")
	a.LastHandled, _, _ = unstructured.NestedString(obj.Object, "status", "lastHandledReconcileAt")
	conds, _, _ := unstructured.NestedSlice(obj.Object, "status", "conditions")
	for _, c := range conds {
		m, _ := c.(map[string]any)
		if m["type"] == "Ready" && m["status"] == "True" {
			a.Ready = true
		}
	}
	return a
}

// downloadArtifact fetches the artifact, checks its digest and returns the
// regular files of the tar.gz by path.
func downloadArtifact(t *testing.T, a artifact) map[string]string {
	t.Helper()
	resp, err := http.Get(a.URL)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %s", a.URL, resp.Status)
	}
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(body)
	if got := "sha256:" + hex.EncodeToString(sum[:]); got != a.Digest {
		t.Errorf("artifact digest %s, status says %s", got, a.Digest)
	}
	zr, err := gzip.NewReader(bytes.NewReader(body))
	if err != nil {
		t.Fatalf("artifact %s is not gzip: %v", a.URL, err)
	}
	files := map[string]string{}
	tr := tar.NewReader(zr)
	for {
		hdr, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatalf("artifact %s is not a tar: %v", a.URL, err)
		}
		if hdr.Typeflag != tar.TypeReg {
			continue
		}
		data, err := io.ReadAll(tr)
		if err != nil {
			t.Fatal(err)
		}
		files[hdr.Name] = string(data)
	}
	return files
}

// stopAndCheckCleanedUp stops the controller and checks that neither its
// process nor its work dir is left.
func stopAndCheckCleanedUp(t *testing.T, sc *SourceController) {
	t.Helper()
	if err := sc.Stop(); err != nil {
		t.Errorf("stop: %v", err)
	}
	if err := sc.Stop(); err != nil {
		t.Errorf("second stop: %v", err)
	}
	if err := sc.exited(); !errors.Is(err, errExited) {
		t.Errorf("source-controller pid %d still running after Stop", sc.PID())
	}
	if _, err := os.Stat(sc.workDir); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("work dir %s left after Stop (stat: %v)", sc.workDir, err)
	}
}

// testLogWriter sends the controller's log to the test log.
type testLogWriter struct{ t *testing.T }

func (w testLogWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimRight(string(p), "\n"))
	return len(p), nil
}

// secretNamespace creates a test namespace holding the Secret name with
// data (a source's credentials) and returns it with a dynamic client.
func secretNamespace(t *testing.T, ctx context.Context, cluster *simcluster.Cluster, name string, data map[string]string) (string, dynamic.Interface) {
	t.Helper()
	ns := cluster.NewNamespace(t)
	cs, err := kubernetes.NewForConfig(cluster.RESTConfig())
	if err != nil {
		t.Fatal(err)
	}
	secret := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns}, StringData: data}
	if _, err := cs.CoreV1().Secrets(ns).Create(ctx, secret, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	dc, err := dynamic.NewForConfig(cluster.RESTConfig())
	if err != nil {
		t.Fatal(err)
	}
	return ns, dc
}
