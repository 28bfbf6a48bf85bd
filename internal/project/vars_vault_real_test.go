//go:build realvault

package project

import (
	"context"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// TestVaultSourceAgainstRealVault runs the vault source against a real
// Vault dev server: the vault binary on PATH or in $KLUCTL_TEST_VAULT_BIN.
// None can be installed on the CI machines (no Debian package; the
// module needs patching to build), so this runs only with
// `go test -tags realvault`, and the contract server of
// internal/secretstores stands in for Vault in the regular suite.
func TestVaultSourceAgainstRealVault(t *testing.T) {
	bin := os.Getenv("KLUCTL_TEST_VAULT_BIN")
	if bin == "" {
		bin, _ = exec.LookPath("vault")
	}
	if bin == "" {
		t.Fatal("no vault binary: set KLUCTL_TEST_VAULT_BIN")
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	const rootToken = "kluctl-test-root-token" // Vault reserves the hvs. prefix
	l.Close()
	ctx, cancel := context.WithCancel(context.Background())
	cmd := exec.CommandContext(ctx, bin, "server", "-dev", "-dev-root-token-id="+rootToken, "-dev-listen-address="+addr)
	cmd.Env = append(os.Environ(), "HOME="+t.TempDir(), "VAULT_DISABLE_MLOCK=true")
	var logs strings.Builder
	cmd.Stdout, cmd.Stderr = &logs, &logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cancel(); _ = cmd.Wait() })
	base := "http://" + addr + "/v1/"
	call := func(method, path, body string) int {
		t.Helper()
		req, _ := http.NewRequest(method, base+path, strings.NewReader(body))
		req.Header.Set("X-Vault-Token", rootToken)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			return 0
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	for i := 0; call("GET", "sys/health", "") != http.StatusOK; i++ {
		if i > 300 {
			t.Fatalf("vault dev server did not start:\n%s", logs.String())
		}
		time.Sleep(100 * time.Millisecond)
	}
	for _, c := range []struct{ method, path, body string }{
		{"POST", "sys/mounts/kv1", `{"type": "kv", "options": {"version": "1"}}`},
		{"POST", "secret/data/app", `{"data": {"db": {"password": "pw-from-kv2", "port": 5432}, "region": "eu-{{ env }}"}}`},
		{"POST", "kv1/app", `{"password": "pw-from-kv1"}`},
		{"POST", "secret/data/gone", `{"data": {"password": "pw-deleted"}}`},
		{"DELETE", "secret/data/gone", ""},
	} {
		if s := call(c.method, c.path, c.body); s/100 != 2 {
			t.Fatalf("%s %s: status %d", c.method, c.path, s)
		}
	}
	env := map[string]string{"VAULT_TOKEN": rootToken}
	for _, tc := range []struct {
		name, path string
		want       map[string]any
	}{
		{"KV v2", "secret/data/app", map[string]any{"db": map[string]any{"password": "pw-from-kv2", "port": int64(5432)}, "region": "eu-testing"}},
		{"KV v1", "kv1/app", map[string]any{"password": "pw-from-kv1"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			vars, err := loadSource(t, secretStoreLoader(t, env), VarsSource{Vault: &VaultVarsSource{Address: "http://" + addr, Path: tc.path}})
			if err != nil {
				t.Fatal(err)
			}
			checkLoaded(t, vars, tc.want)
		})
	}
	for _, tc := range []struct{ name, path, token, want string }{
		{"missing", "secret/data/missing", rootToken, "secret not found; set ignoreMissing"},
		{"deleted version", "secret/data/gone", rootToken, "secret not found; set ignoreMissing"},
		{"KV v2 path without data/", "secret/app", rootToken, "secret/ is a KV version 2 mount"},
		{"wrong token", "secret/data/app", "hvs.wrong-token-xyz", "permission denied (status 403"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := loadSource(t, secretStoreLoader(t, map[string]string{"VAULT_TOKEN": tc.token}), VarsSource{Vault: &VaultVarsSource{Address: "http://" + addr, Path: tc.path}})
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %v, want %q", err, tc.want)
			}
		})
	}
}
