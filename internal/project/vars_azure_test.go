package project

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/kluctl-go/kluctl/internal/secretstores"
)

func TestAzureKeyVaultContract(t *testing.T) {
	client := secretstores.AzureClient{TenantID: "tenant-1", ClientID: "client-1", ClientSecret: "client-secret-123", AccessToken: "eyJ.client-token"}
	workload := secretstores.AzureClient{TenantID: "tenant-1", ClientID: "client-2", FederatedToken: "eyJ.federated-sa-token", AccessToken: "eyJ.workload-token"}
	srv := secretstores.StartAzureKeyVault(secretstores.AzureOptions{AccessTokens: []string{"eyJ.env-token"}, Clients: []secretstores.AzureClient{client, workload}})
	t.Cleanup(srv.Close)
	srv.Put("app-vars", "db:\n  password: pw-from-azure\n  host: db.{{ env }}\n")
	srv.Put("empty", "")
	tokenFile := filepath.Join(t.TempDir(), "azure-identity-token")
	writeFile(t, tokenFile, "eyJ.federated-sa-token\n")
	authority := srv.URL() + "/"
	want := map[string]any{"db": map[string]any{"password": "pw-from-azure", "host": "db.testing"}}
	for _, tc := range []struct {
		name, token string
		env         map[string]string
	}{
		{"KLUCTL_AZURE_ACCESS_TOKEN", "eyJ.env-token", map[string]string{"KLUCTL_AZURE_ACCESS_TOKEN": "eyJ.env-token"}},
		{"client secret", "eyJ.client-token", map[string]string{"AZURE_TENANT_ID": "tenant-1", "AZURE_CLIENT_ID": "client-1", "AZURE_CLIENT_SECRET": "client-secret-123", "AZURE_AUTHORITY_HOST": authority}},
		{"workload identity", "eyJ.workload-token", map[string]string{"AZURE_TENANT_ID": "tenant-1", "AZURE_CLIENT_ID": "client-2", "AZURE_FEDERATED_TOKEN_FILE": tokenFile, "AZURE_AUTHORITY_HOST": authority}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			vars, err := loadSource(t, secretStoreLoader(t, tc.env), VarsSource{AzureKeyVault: &AzureKeyVaultVarsSource{VaultURI: srv.URL() + "/", SecretName: "app-vars"}})
			if err != nil {
				t.Fatal(err)
			}
			checkLoaded(t, vars, want, "pw-from-azure", tc.token)
		})
	}
	env := map[string]string{"KLUCTL_AZURE_ACCESS_TOKEN": "eyJ.env-token"}
	for _, name := range []string{"missing", "empty"} {
		t.Run(name+", ignoreMissing", func(t *testing.T) {
			vars, err := loadSource(t, secretStoreLoader(t, env), VarsSource{IgnoreMissing: true, AzureKeyVault: &AzureKeyVaultVarsSource{VaultURI: srv.URL(), SecretName: name}})
			if err != nil {
				t.Fatal(err)
			}
			checkLoaded(t, vars, map[string]any{})
		})
	}
	for _, tc := range []struct {
		name, vault, secret string
		env                 map[string]string
		want                string
	}{
		{"wrong token", srv.URL(), "app-vars", map[string]string{"KLUCTL_AZURE_ACCESS_TOKEN": "eyJ.wrong-token"},
			"azureKeyVault " + srv.URL() + " secret app-vars: authentication failed (status 401): Unauthorized: [TokenExpired] Error validating token"},
		{"wrong client secret", srv.URL(), "app-vars", map[string]string{"AZURE_TENANT_ID": "tenant-1", "AZURE_CLIENT_ID": "client-1", "AZURE_CLIENT_SECRET": "wrong-secret-456", "AZURE_AUTHORITY_HOST": authority},
			"get a token with AZURE_CLIENT_SECRET for client client-1: token request failed with status 401: invalid_client AADSTS7000215: Invalid client secret provided."},
		{"no credentials", srv.URL(), "app-vars", nil, "no Azure credentials found: set AZURE_TENANT_ID, AZURE_CLIENT_ID and AZURE_CLIENT_SECRET"},
		{"missing", srv.URL(), "missing", env, "secret not found; set ignoreMissing: true"},
		{"empty value", srv.URL(), "empty", env, "secret not found (its value is empty)"},
		{"plain http to another host", "http://example.vault.azure.net", "app-vars", env, "refusing to send credentials over plain http to example.vault.azure.net"},
		{"invalid secret name", srv.URL(), "../keys/k", env, "secretName must be 1 to 127 letters, digits and dashes"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := loadSource(t, secretStoreLoader(t, tc.env), VarsSource{AzureKeyVault: &AzureKeyVaultVarsSource{VaultURI: tc.vault, SecretName: tc.secret}})
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want it to contain %q", err, tc.want)
			}
			for _, s := range []string{"eyJ.", tc.env["AZURE_CLIENT_SECRET"]} {
				if s != "" && strings.Contains(err.Error(), s) {
					t.Errorf("error %q contains the credential %q", err, s)
				}
			}
		})
	}
}

func TestAzureResource(t *testing.T) {
	got := map[string]string{}
	for _, h := range []string{"example.vault.azure.net", "example.vault.azure.cn", "example.vault.usgovcloudapi.net", "example.managedhsm.azure.net", "127.0.0.1"} {
		got[h] = azureResource(h)
	}
	want := map[string]string{
		"example.vault.azure.net": "https://vault.azure.net", "example.vault.azure.cn": "https://vault.azure.cn",
		"example.vault.usgovcloudapi.net": "https://vault.usgovcloudapi.net", "example.managedhsm.azure.net": "https://managedhsm.azure.net",
		"127.0.0.1": "https://vault.azure.net",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}
