package simcluster

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestKubeModuleFacts(t *testing.T) {
	goMod := `module k8s.io/kubernetes

require (
	go.etcd.io/etcd/client/v3 v3.6.4
	k8s.io/api v0.0.0
)

require (
	go.etcd.io/etcd/server/v3 v3.6.4 // indirect
)

replace (
	k8s.io/api => ./staging/src/k8s.io/api
	k8s.io/client-go => ./staging/src/k8s.io/client-go
	github.com/example/other => github.com/example/other v1.0.0
)
`
	path := filepath.Join(t.TempDir(), "go.mod")
	if err := os.WriteFile(path, []byte(goMod), 0o644); err != nil {
		t.Fatal(err)
	}
	staging, etcd, err := kubeModuleFacts(path)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"k8s.io/api", "k8s.io/client-go"}, staging); diff != "" {
		t.Errorf("staging (-want +got):\n%s", diff)
	}
	if etcd != "v3.6.4" {
		t.Errorf("etcd version = %q, want v3.6.4", etcd)
	}
}

func TestKubeGoModReplacesStaging(t *testing.T) {
	opts, err := Options{Version: "v1.34.4"}.withDefaults()
	if err != nil {
		t.Fatal(err)
	}
	got := string(kubeGoMod(opts, "v3.6.4", []string{"k8s.io/api"}))
	for _, want := range []string{
		"k8s.io/kubernetes v1.34.4",
		"go.etcd.io/etcd/server/v3 v3.6.4",
		"k8s.io/api => k8s.io/api v0.34.4",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("go.mod lacks %q:\n%s", want, got)
		}
	}
}

func TestOptionsDefaults(t *testing.T) {
	tests := []struct {
		name    string
		in      Options
		want    string // version dir relative to the cache dir
		wantErr bool
	}{
		{name: "default version", in: Options{CacheDir: "/c"}, want: "/c/k8s-" + DefaultVersion},
		{name: "leading v", in: Options{CacheDir: "/c", Version: "v1.34.1"}, want: "/c/k8s-1.34.1"},
		{name: "not a version", in: Options{CacheDir: "/c", Version: "latest"}, wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := tt.in.withDefaults()
			if (err != nil) != tt.wantErr {
				t.Fatalf("err = %v, wantErr %v", err, tt.wantErr)
			}
			if err == nil && got.versionDir() != tt.want {
				t.Errorf("versionDir = %q, want %q", got.versionDir(), tt.want)
			}
		})
	}
}

func TestNamespacePrefix(t *testing.T) {
	tests := []struct{ name, in, want string }{
		{name: "subtest", in: "TestApply/Deployment_Ready", want: "testapply-deployment-ready-"},
		{name: "long", in: strings.Repeat("a", 60), want: strings.Repeat("a", 40) + "-"},
		{name: "only symbols", in: "__", want: "test-"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := namespacePrefix(tt.in); got != tt.want {
				t.Errorf("namespacePrefix(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}
