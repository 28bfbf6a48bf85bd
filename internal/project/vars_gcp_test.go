package project

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kluctl-go/kluctl/internal/secretstores"
)

// serviceAccountFile writes a service account key file for key whose
// token_uri is tokenURI.
func serviceAccountFile(t *testing.T, key *rsa.PrivateKey, email, tokenURI string) string {
	t.Helper()
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal(map[string]string{
		"type": "service_account", "project_id": "p", "private_key_id": "k1", "client_email": email, "token_uri": tokenURI,
		"private_key": string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})),
	})
	path := filepath.Join(t.TempDir(), "sa.json")
	writeFile(t, path, string(b))
	return path
}

func TestGcpSecretManagerContract(t *testing.T) {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	const email = "kluctl@p.iam.gserviceaccount.com"
	srv := secretstores.StartGCPSecretManager(secretstores.GCPOptions{
		AccessTokens:    []string{"ya29.env-token"},
		MetadataToken:   "ya29.metadata-token",
		ServiceAccounts: []secretstores.GCPServiceAccount{{Email: email, PublicKey: &key.PublicKey, AccessToken: "ya29.sa-token"}},
		Users:           []secretstores.GCPUser{{ClientID: "cid", ClientSecret: "csecret", RefreshToken: "1//refresh", AccessToken: "ya29.user-token"}},
	})
	t.Cleanup(srv.Close)
	srv.Put("projects/p/secrets/app", []byte("db:\n  password: pw-from-gcp\n  host: db.{{ env }}\n"))
	gcloud := t.TempDir()
	userCreds, _ := json.Marshal(map[string]string{"type": "authorized_user", "client_id": "cid", "client_secret": "csecret", "refresh_token": "1//refresh", "token_uri": srv.TokenURL(), "quota_project_id": "billing-project"})
	writeFile(t, filepath.Join(gcloud, "application_default_credentials.json"), string(userCreds))
	endpoint := "KLUCTL_GCP_SECRET_MANAGER_ENDPOINT"
	want := map[string]any{"db": map[string]any{"password": "pw-from-gcp", "host": "db.testing"}}
	for _, tc := range []struct {
		name, token string
		env         map[string]string
	}{
		{"GOOGLE_OAUTH_ACCESS_TOKEN", "ya29.env-token", map[string]string{endpoint: srv.URL(), "GOOGLE_OAUTH_ACCESS_TOKEN": "ya29.env-token"}},
		{"service account key", "ya29.sa-token", map[string]string{endpoint: srv.URL() + "/", "GOOGLE_APPLICATION_CREDENTIALS": serviceAccountFile(t, key, email, srv.TokenURL())}},
		{"gcloud user credentials", "ya29.user-token", map[string]string{endpoint: srv.URL(), "CLOUDSDK_CONFIG": gcloud}},
		{"metadata server", "ya29.metadata-token", map[string]string{endpoint: srv.URL(), "GCE_METADATA_HOST": srv.Host()}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			vars, err := loadSource(t, secretStoreLoader(t, tc.env), VarsSource{GcpSecretManager: &GcpSecretManagerVarsSource{SecretName: "projects/p/secrets/app/versions/latest"}})
			if err != nil {
				t.Fatal(err)
			}
			checkLoaded(t, vars, want, "pw-from-gcp", tc.token)
		})
	}
	quota := 0
	for _, r := range srv.Requests() {
		if strings.HasSuffix(r.Path, ":access") && r.Header.Get("X-Goog-User-Project") == "billing-project" {
			quota++
		}
	}
	if quota != 1 {
		t.Errorf("%d access requests named the quota project of the user credentials, want 1", quota)
	}
	t.Run("missing, ignoreMissing", func(t *testing.T) {
		env := map[string]string{endpoint: srv.URL(), "GOOGLE_OAUTH_ACCESS_TOKEN": "ya29.env-token"}
		vars, err := loadSource(t, secretStoreLoader(t, env), VarsSource{IgnoreMissing: true, GcpSecretManager: &GcpSecretManagerVarsSource{SecretName: "projects/p/secrets/missing/versions/1"}})
		if err != nil {
			t.Fatal(err)
		}
		checkLoaded(t, vars, map[string]any{})
	})
	otherKey, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	external := filepath.Join(t.TempDir(), "external.json")
	writeFile(t, external, `{"type": "external_account"}`)
	for _, tc := range []struct {
		name, secret string
		env          map[string]string
		want         string
	}{
		{"wrong token", "app", map[string]string{endpoint: srv.URL(), "GOOGLE_OAUTH_ACCESS_TOKEN": "ya29.wrong-token"},
			"gcpSecretManager projects/p/secrets/app/versions/latest: authentication failed (UNAUTHENTICATED): Request had invalid authentication credentials"},
		{"key of another account", "app", map[string]string{endpoint: srv.URL(), "GOOGLE_APPLICATION_CREDENTIALS": serviceAccountFile(t, otherKey, email, srv.TokenURL())},
			"token request failed with status 400: invalid_grant Invalid JWT Signature."},
		{"external account", "app", map[string]string{endpoint: srv.URL(), "GOOGLE_APPLICATION_CREDENTIALS": external}, `credentials of type "external_account" are not supported`},
		{"missing", "missing", map[string]string{endpoint: srv.URL(), "GOOGLE_OAUTH_ACCESS_TOKEN": "ya29.env-token"}, "secret not found; set ignoreMissing: true"},
		{"plain http to another host", "app", map[string]string{endpoint: "http://secretmanager.example.com", "GOOGLE_OAUTH_ACCESS_TOKEN": "ya29.env-token"},
			"refusing to send credentials over plain http to secretmanager.example.com"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := loadSource(t, secretStoreLoader(t, tc.env), VarsSource{GcpSecretManager: &GcpSecretManagerVarsSource{SecretName: "projects/p/secrets/" + tc.secret + "/versions/latest"}})
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want it to contain %q", err, tc.want)
			}
			if strings.Contains(err.Error(), "ya29.") {
				t.Errorf("error %q contains a token", err)
			}
		})
	}
}

func TestGcpSecretManagerInput(t *testing.T) {
	for _, name := range []string{"projects/p/secrets/app", "projects/p/secrets/a?b=c/versions/1", "secrets/app/versions/1"} {
		_, err := loadSource(t, secretStoreLoader(t, nil), VarsSource{GcpSecretManager: &GcpSecretManagerVarsSource{SecretName: name}})
		if err == nil || !strings.Contains(err.Error(), "secretName must be projects/PROJECT/secrets/SECRET/versions/VERSION") {
			t.Errorf("%s: error %v", name, err)
		}
	}
	if b, _ := os.ReadFile("/sys/class/dmi/id/product_name"); strings.Contains(string(b), "Google") {
		t.Skip("on Google Cloud the metadata server would be asked")
	}
	_, err := loadSource(t, secretStoreLoader(t, nil), VarsSource{GcpSecretManager: &GcpSecretManagerVarsSource{SecretName: "projects/p/secrets/app/versions/1"}})
	if err == nil || !strings.Contains(err.Error(), "no Google credentials found") {
		t.Errorf("error %v", err)
	}
}
