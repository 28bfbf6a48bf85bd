package simcluster

import (
	"path/filepath"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"k8s.io/client-go/tools/clientcmd"
)

func TestKubeconfigRoundTrip(t *testing.T) {
	p, err := newPKI(time.Now())
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "kubeconfig")
	if err := writeKubeconfig(path, kubeconfigFor("sim", "https://127.0.0.1:4567", p)); err != nil {
		t.Fatal(err)
	}

	loaded, err := clientcmd.LoadFromFile(path)
	if err != nil {
		t.Fatal(err)
	}
	type summary struct {
		Current, Cluster, User, Server string
		CA, Cert, Key                  []byte
	}
	ctx := loaded.Contexts[loaded.CurrentContext]
	if ctx == nil {
		t.Fatalf("current context %q missing", loaded.CurrentContext)
	}
	got := summary{
		Current: loaded.CurrentContext, Cluster: ctx.Cluster, User: ctx.AuthInfo,
		Server: loaded.Clusters[ctx.Cluster].Server,
		CA:     loaded.Clusters[ctx.Cluster].CertificateAuthorityData,
		Cert:   loaded.AuthInfos[ctx.AuthInfo].ClientCertificateData,
		Key:    loaded.AuthInfos[ctx.AuthInfo].ClientKeyData,
	}
	want := summary{
		Current: "sim", Cluster: "sim", User: "sim", Server: "https://127.0.0.1:4567",
		CA: p.caCert, Cert: p.adminCert, Key: p.adminKey,
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("kubeconfig (-want +got):\n%s", diff)
	}

	cfg, err := restConfigFrom(path, "sim")
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Host != want.Server || cfg.QPS != 1000 || cfg.Burst != 2000 {
		t.Errorf("rest config host %q qps %v burst %d", cfg.Host, cfg.QPS, cfg.Burst)
	}
}
