package project

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/kluctl-go/kluctl/internal/secretstores"
)

// secretStoreLoader is a vars loader whose environment is env.
func secretStoreLoader(t *testing.T, env map[string]string) *varsLoader {
	t.Helper()
	return &varsLoader{tpl: NewTemplates(t.TempDir()), getenv: func(k string) string { return env[k] }, debug: func(string) {}}
}

// loadSource loads src into a context that holds env: testing, and returns
// the context.
func loadSource(t *testing.T, l *varsLoader, src VarsSource) (*Vars, error) {
	t.Helper()
	vars := NewVars()
	vars.Set("env", "testing")
	return vars, l.load(context.Background(), vars, &src, nil)
}

// checkLoaded checks that vars hold want (besides env) and that its
// strings are sensitive.
func checkLoaded(t *testing.T, vars *Vars, want map[string]any, secrets ...string) {
	t.Helper()
	got := deepCopyMap(vars.Values)
	delete(got, "env")
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("vars (-want +got):\n%s", diff)
	}
	for _, s := range secrets {
		if _, ok := vars.Sensitive[s]; !ok {
			t.Errorf("%q is not marked sensitive", s)
		}
	}
}

const vaultTestToken = "hvs.test-token-0123456789"

func TestVaultSourceContract(t *testing.T) {
	srv := secretstores.StartVault(secretstores.VaultOptions{Token: vaultTestToken, Mounts: map[string]int{"secret/": 2, "kv1/": 1}})
	t.Cleanup(srv.Close)
	denied := secretstores.StartVault(secretstores.VaultOptions{Token: vaultTestToken, Mounts: map[string]int{"secret/": 2}, DenyMountLookup: true})
	t.Cleanup(denied.Close)
	for _, s := range []*secretstores.Vault{srv, denied} {
		s.Put("secret/app", map[string]any{"db": map[string]any{"password": "pw-from-kv2", "port": 5432}, "region": "eu-{{ env }}"})
	}
	srv.Put("kv1/app", map[string]any{"password": "pw-from-kv1"})
	srv.Put("secret/gone", map[string]any{"password": "pw-deleted"})
	srv.Delete("secret/gone")
	env := map[string]string{"VAULT_TOKEN": vaultTestToken}
	kv2 := map[string]any{"db": map[string]any{"password": "pw-from-kv2", "port": int64(5432)}, "region": "eu-testing"}
	for _, tc := range []struct {
		name    string
		address string
		src     VarsSource
		want    map[string]any
		secrets []string
	}{
		{"KV v2, rendered as a template", srv.URL(), VarsSource{Vault: &VaultVarsSource{Path: "secret/data/app"}}, kv2, []string{"pw-from-kv2", "eu-testing"}},
		{"KV v2 without mount lookup", denied.URL(), VarsSource{Vault: &VaultVarsSource{Path: "/secret/data/app"}}, kv2, []string{"pw-from-kv2"}},
		{"KV v1", srv.URL(), VarsSource{Vault: &VaultVarsSource{Path: "kv1/app"}}, map[string]any{"password": "pw-from-kv1"}, []string{"pw-from-kv1"}},
		{"targetPath", srv.URL() + "/", VarsSource{TargetPath: "creds.v1", Vault: &VaultVarsSource{Path: "kv1/app"}},
			map[string]any{"creds": map[string]any{"v1": map[string]any{"password": "pw-from-kv1"}}}, []string{"pw-from-kv1"}},
		{"missing, ignoreMissing", srv.URL(), VarsSource{IgnoreMissing: true, Vault: &VaultVarsSource{Path: "secret/data/missing"}}, map[string]any{}, nil},
		{"deleted version, ignoreMissing", srv.URL(), VarsSource{IgnoreMissing: true, Vault: &VaultVarsSource{Path: "secret/data/gone"}}, map[string]any{}, nil},
		{"missing with targetPath", srv.URL(), VarsSource{IgnoreMissing: true, TargetPath: "x", Vault: &VaultVarsSource{Path: "kv1/missing"}}, map[string]any{"x": map[string]any{}}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tc.src.Vault.Address = tc.address
			vars, err := loadSource(t, secretStoreLoader(t, env), tc.src)
			if err != nil {
				t.Fatal(err)
			}
			checkLoaded(t, vars, tc.want, tc.secrets...)
			if _, ok := vars.Sensitive[vaultTestToken]; !ok {
				t.Error("the token is not marked sensitive")
			}
		})
	}
	for _, r := range srv.Requests() {
		if r.Header.Get("X-Vault-Token") != vaultTestToken || r.Header.Get("X-Vault-Request") != "true" {
			t.Errorf("request %s without the token or X-Vault-Request", r.Path)
		}
	}
}

func TestVaultSourceErrors(t *testing.T) {
	srv := secretstores.StartVault(secretstores.VaultOptions{Token: vaultTestToken, Mounts: map[string]int{"secret/": 2}})
	t.Cleanup(srv.Close)
	srv.Put("secret/app", map[string]any{"password": "pw"})
	srv.Put("secret/list", map[string]any{"data": "x"})
	for _, tc := range []struct {
		name, address, path, token string
		want                       []string
	}{
		{"wrong token", srv.URL(), "secret/data/app", "hvs.wrong-token-xyz", []string{"vault " + srv.URL() + " path secret/data/app", "permission denied (status 403: permission denied)", "VAULT_TOKEN is invalid"}},
		{"no token", srv.URL(), "secret/data/app", "", []string{"permission denied", "VAULT_TOKEN is not set"}},
		{"missing", srv.URL(), "secret/data/missing", vaultTestToken, []string{"secret not found; set ignoreMissing: true"}},
		{"KV v2 path without data/", srv.URL(), "secret/app", vaultTestToken, []string{"secret/ is a KV version 2 mount: the path of a secret is secret/data/NAME"}},
		{"plain http to another host", "http://vault.example.com:8200", "secret/data/app", vaultTestToken, []string{"refusing to send credentials over plain http to vault.example.com:8200"}},
		{"no address", "", "secret/data/app", vaultTestToken, []string{"address is required"}},
		{"no path", srv.URL(), "/", vaultTestToken, []string{"path is required"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			l := secretStoreLoader(t, map[string]string{"VAULT_TOKEN": tc.token})
			_, err := loadSource(t, l, VarsSource{Vault: &VaultVarsSource{Address: tc.address, Path: tc.path}})
			if err == nil {
				t.Fatal("no error")
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not contain %q", err, w)
				}
			}
			if tc.token != "" && strings.Contains(err.Error(), tc.token) {
				t.Errorf("error %q contains the token", err)
			}
		})
	}
}

func TestVaultSourceFields(t *testing.T) {
	var cfg DeploymentConfig
	src := "vars:\n  - vault: {address: 'https://vault.example.com', path: secret/data/app}\n    ignoreMissing: true\n"
	if err := decodeStrict("deployment.yml", []byte(src), &cfg); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(&VaultVarsSource{Address: "https://vault.example.com", Path: "secret/data/app"}, cfg.Vars[0].Vault); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	if err := decodeStrict("deployment.yml", []byte("vars:\n  - vault: {address: a, path: p, token: t}\n"), &cfg); err == nil {
		t.Error("an unknown field of vault was accepted")
	}
}

func TestVaultSourceKubernetesAuth(t *testing.T) {
	const jwt = "service-account-jwt-for-vault"
	srv := secretstores.StartVault(secretstores.VaultOptions{Token: vaultTestToken, Mounts: map[string]int{"secret/": 2},
		KubernetesRole: "kluctl", KubernetesJWT: jwt})
	t.Cleanup(srv.Close)
	srv.Put("secret/app", map[string]any{"password": "pw-via-kubernetes-auth"})
	tokenFile := filepath.Join(t.TempDir(), "token")
	if err := os.WriteFile(tokenFile, []byte(jwt+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	src := VarsSource{Vault: &VaultVarsSource{Address: srv.URL(), Path: "secret/data/app"}}
	vars, err := loadSource(t, secretStoreLoader(t, map[string]string{"VAULT_KUBERNETES_ROLE": "kluctl", "VAULT_KUBERNETES_TOKEN_FILE": tokenFile}), src)
	if err != nil {
		t.Fatal(err)
	}
	checkLoaded(t, vars, map[string]any{"password": "pw-via-kubernetes-auth"}, "pw-via-kubernetes-auth")
	if _, ok := vars.Sensitive[vaultTestToken]; !ok {
		t.Error("the client token is not marked sensitive")
	}
	_, err = loadSource(t, secretStoreLoader(t, map[string]string{"VAULT_KUBERNETES_ROLE": "other", "VAULT_KUBERNETES_TOKEN_FILE": tokenFile}), src)
	if err == nil || !strings.Contains(err.Error(), `kubernetes auth as role "other"`) || strings.Contains(err.Error(), jwt) {
		t.Errorf("a refused login: %v", err)
	}
}
