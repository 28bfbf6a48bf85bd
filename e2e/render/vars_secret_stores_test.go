package render

import (
	"regexp"
	"strings"
	"testing"

	"github.com/kluctl-go/kluctl/e2e/kluctltest"
	"github.com/kluctl-go/kluctl/internal/secretstores"
)

// secretStores are contract-test servers of the four secret stores, each
// holding the YAML "password: pw-from-STORE" (Vault: the pair itself),
// and the environment that points kluctl at them with valid credentials.
type secretStores struct {
	vault *secretstores.Vault
	aws   *secretstores.AWSSecretsManager
	gcp   *secretstores.GCPSecretManager
	azure *secretstores.AzureKeyVault
	env   map[string]string
}

// Credentials of the secret stores; none may ever be printed.
const (
	storeVaultToken  = "hvs.e2e-vault-token"
	storeAWSSecret   = "e2e-aws-secret-access-key"
	storeAWSSession  = "e2e-aws-session-token"
	storeGCPToken    = "ya29.e2e-gcp-token"
	storeAzureToken  = "eyJ.e2e-azure-token"
	storeAzureSecret = "e2e-azure-client-secret"
)

func startSecretStores(t *testing.T) *secretStores {
	t.Helper()
	s := &secretStores{
		vault: secretstores.StartVault(secretstores.VaultOptions{Token: storeVaultToken, Mounts: map[string]int{"secret/": 2}}),
		aws: secretstores.StartAWSSecretsManager(secretstores.AWSOptions{Region: "eu-central-1", Account: "123456789012",
			Keys: []secretstores.AWSKey{{AccessKeyID: "ASIAE2ETEST", SecretAccessKey: storeAWSSecret, SessionToken: storeAWSSession}}}),
		gcp: secretstores.StartGCPSecretManager(secretstores.GCPOptions{AccessTokens: []string{storeGCPToken}}),
		azure: secretstores.StartAzureKeyVault(secretstores.AzureOptions{Clients: []secretstores.AzureClient{
			{TenantID: "e2e-tenant", ClientID: "e2e-client", ClientSecret: storeAzureSecret, AccessToken: storeAzureToken}}}),
	}
	for _, c := range []interface{ Close() }{s.vault, s.aws, s.gcp, s.azure} {
		t.Cleanup(c.Close)
	}
	s.vault.Put("secret/app", map[string]any{"password": "pw-from-vault"})
	s.aws.PutString("app/vars", "password: pw-from-aws\n")
	s.gcp.Put("projects/p/secrets/app", []byte(`{"password": "pw-from-gcp"}`))
	s.azure.Put("app-vars", "password: pw-from-azure\n")
	s.env = map[string]string{
		"VAULT_TOKEN": storeVaultToken, "VAULT_NAMESPACE": "",
		"AWS_ACCESS_KEY_ID": "ASIAE2ETEST", "AWS_SECRET_ACCESS_KEY": storeAWSSecret, "AWS_SESSION_TOKEN": storeAWSSession,
		"AWS_ENDPOINT_URL_SECRETS_MANAGER": s.aws.URL(), "AWS_PROFILE": "", "AWS_REGION": "", "AWS_ENDPOINT_URL": "",
		"GOOGLE_OAUTH_ACCESS_TOKEN": storeGCPToken, "KLUCTL_GCP_SECRET_MANAGER_ENDPOINT": s.gcp.URL(),
		"AZURE_TENANT_ID": "e2e-tenant", "AZURE_CLIENT_ID": "e2e-client", "AZURE_CLIENT_SECRET": storeAzureSecret,
		"AZURE_AUTHORITY_HOST": s.azure.URL(), "KLUCTL_AZURE_ACCESS_TOKEN": "", "AZURE_FEDERATED_TOKEN_FILE": "",
	}
	return s
}

// environ is the environment of kluctl, with overrides.
func (s *secretStores) environ(t *testing.T, overrides ...string) []string {
	env := map[string]string{}
	for k, v := range s.env {
		env[k] = v
	}
	for i := 0; i+1 < len(overrides); i += 2 {
		env[overrides[i]] = overrides[i+1]
	}
	var list []string
	for k, v := range env {
		list = append(list, k+"="+v)
	}
	return isolatedEnv(t, list...)
}

// sources is a vars list with one source of each store, loaded under
// vault, aws, gcp and azure, and a missing secret of each, ignored.
func (s *secretStores) sources() string {
	return `  - vault: {address: "` + s.vault.URL() + `", path: secret/data/app}
    targetPath: vault
  - awsSecretsManager: {secretName: app/vars, region: eu-central-1}
    targetPath: aws
  - gcpSecretManager: {secretName: projects/p/secrets/app/versions/latest}
    targetPath: gcp
  - azureKeyVault: {vaultUri: "` + s.azure.URL() + `", secretName: app-vars}
    targetPath: azure
  - vault: {address: "` + s.vault.URL() + `", path: secret/data/missing}
    ignoreMissing: true
  - awsSecretsManager: {secretName: missing, region: eu-central-1}
    ignoreMissing: true
  - gcpSecretManager: {secretName: projects/p/secrets/missing/versions/latest}
    ignoreMissing: true
  - azureKeyVault: {vaultUri: "` + s.azure.URL() + `", secretName: missing}
    ignoreMissing: true
`
}

// TestSecretStoreVarsRenderAndStayMasked: a project loads vars from Vault,
// AWS Secrets Manager, Google Secret Manager and Azure Key Vault; the
// rendered manifests hold the values, and with --debug nothing on stderr
// shows them or any credential, also where kluctl names an object built
// from them.
func TestSecretStoreVarsRenderAndStayMasked(t *testing.T) {
	s := startSecretStores(t)
	// Both items render a ConfigMap named after a secret, so that the
	// duplicate warning on stderr has a reason to name it.
	named := "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: \"{{ vault.password }}\"\n  namespace: default\n"
	dir := kluctltest.WriteProject(t, map[string]string{
		".kluctl.yaml":    "targets:\n  - name: test\n",
		"deployment.yml":  "vars:\n" + s.sources() + "deployments:\n  - path: app\n  - path: first\n  - path: second\n",
		"first/cm.yaml":   named,
		"second/cm.yaml":  named,
		"app/secrets.yml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: out\n  namespace: default\ndata:\n  vault: \"{{ vault.password }}\"\n  aws: \"{{ aws.password }}\"\n  gcp: \"{{ gcp.password }}\"\n  azure: \"{{ azure.password }}\"\n  missing: \"{{ password | default('none') }}\"\n",
	})
	res := renderIncluding(t, s.environ(t), dir, "--debug")
	if res.Code != 0 {
		t.Fatalf("render: exit %d: %s", res.Code, res.Stderr)
	}
	got := cmData(t, parseObjects(t, []byte(res.Stdout)), "default", "out")
	for k, want := range map[string]string{"vault": "pw-from-vault", "aws": "pw-from-aws", "gcp": "pw-from-gcp", "azure": "pw-from-azure", "missing": "none"} {
		if got[k] != want {
			t.Errorf("data.%s = %v, want %s", k, got[k], want)
		}
	}
	for _, secret := range []string{"pw-from-vault", "pw-from-aws", "pw-from-gcp", "pw-from-azure", storeVaultToken, storeAWSSecret, storeAWSSession, storeGCPToken, storeAzureToken, storeAzureSecret} {
		if strings.Contains(res.Stderr, secret) {
			t.Errorf("stderr shows %q:\n%s", secret, res.Stderr)
		}
	}
	for _, w := range []string{"vars source vault " + s.vault.URL() + " secret/data/app: found=true", "vars source awsSecretsManager app/vars: found=true", "vars source gcpSecretManager", "vars source azureKeyVault"} {
		if !strings.Contains(res.Stderr, w) {
			t.Errorf("--debug does not show %q; stderr:\n%s", w, res.Stderr)
		}
	}
	if !regexp.MustCompile(`(?m)^debug: `).MatchString(res.Stderr) || !strings.Contains(res.Stderr, "second") {
		t.Errorf("no debug lines or no duplicate warning; stderr:\n%s", res.Stderr)
	}
}

// TestSecretStoreVarsAuthFailures: wrong credentials fail the render with
// an error that names the source and the store's answer, never the
// credential.
func TestSecretStoreVarsAuthFailures(t *testing.T) {
	s := startSecretStores(t)
	for _, tc := range []struct {
		name, source string
		env          []string
		want         []string
	}{
		{"vault", `vault: {address: "` + s.vault.URL() + `", path: secret/data/app}`, []string{"VAULT_TOKEN", "hvs.wrong-vault-token"},
			[]string{"vault " + s.vault.URL() + " path secret/data/app: permission denied", "VAULT_TOKEN is invalid"}},
		{"vault without token", `vault: {address: "` + s.vault.URL() + `", path: secret/data/app}`, []string{"VAULT_TOKEN", ""},
			[]string{"permission denied", "VAULT_TOKEN is not set"}},
		{"aws", `awsSecretsManager: {secretName: app/vars, region: eu-central-1}`, []string{"AWS_SECRET_ACCESS_KEY", "wrong-aws-secret-key"},
			[]string{"awsSecretsManager app/vars (region eu-central-1): authentication failed: InvalidSignatureException"}},
		{"gcp", `gcpSecretManager: {secretName: projects/p/secrets/app/versions/latest}`, []string{"GOOGLE_OAUTH_ACCESS_TOKEN", "ya29.wrong-gcp-token"},
			[]string{"gcpSecretManager projects/p/secrets/app/versions/latest: authentication failed (UNAUTHENTICATED)"}},
		{"azure", `azureKeyVault: {vaultUri: "` + s.azure.URL() + `", secretName: app-vars}`, []string{"AZURE_CLIENT_SECRET", "wrong-azure-client-secret"},
			[]string{"azureKeyVault " + s.azure.URL() + " secret app-vars", "invalid_client AADSTS7000215: Invalid client secret provided"}},
		{"missing without ignoreMissing", `azureKeyVault: {vaultUri: "` + s.azure.URL() + `", secretName: missing}`, nil,
			[]string{"secret not found; set ignoreMissing: true to make it optional"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := kluctltest.WriteProject(t, map[string]string{
				".kluctl.yaml":   "targets:\n  - name: test\n",
				"deployment.yml": "vars:\n  - " + tc.source + "\ndeployments: []\n",
			})
			res := renderIncluding(t, s.environ(t, tc.env...), dir, "--debug")
			if res.Code == 0 {
				t.Fatalf("render succeeded:\n%s", res.Stdout)
			}
			for _, w := range append([]string{"deployment.yml: vars[0]"}, tc.want...) {
				if !strings.Contains(res.Stderr, w) {
					t.Errorf("stderr does not contain %q:\n%s", w, res.Stderr)
				}
			}
			for _, secret := range []string{"wrong-", storeVaultToken, storeAWSSecret, storeAWSSession, storeGCPToken, storeAzureToken, storeAzureSecret} {
				if strings.Contains(res.Stderr+res.Stdout, secret) {
					t.Errorf("output shows the credential %q:\n%s", secret, res.Stderr)
				}
			}
		})
	}
}
