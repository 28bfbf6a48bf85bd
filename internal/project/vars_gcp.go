package project

import (
	"context"
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"hash/crc32"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"time"
)

const (
	gcpSecretManagerEndpoint = "https://secretmanager.googleapis.com"
	gcpTokenURI              = "https://oauth2.googleapis.com/token"
	gcpScope                 = "https://www.googleapis.com/auth/cloud-platform"
)

// gcpSecretVersionName is the resource name of a secret version.
var gcpSecretVersionName = regexp.MustCompile(`^projects/[A-Za-z0-9.:_-]+/secrets/[A-Za-z0-9_-]+/versions/[A-Za-z0-9_-]+$`)

// loadGcpSecretManager loads a gcpSecretManager source as the original
// does: the payload of the secret version secretName
// (projects/PROJECT/secrets/SECRET/versions/VERSION), read through Secret
// Manager's REST API with an OAuth token of the application default
// credentials (see gcpToken). The payload is the YAML of the vars; its
// values are sensitive by default. A missing secret or version (NOT_FOUND)
// is what ignoreMissing ignores.
func (l *varsLoader) loadGcpSecretManager(ctx context.Context, vars *Vars, src *VarsSource, searchDirs []string) (any, bool, bool, error) {
	name := src.GcpSecretManager.SecretName
	desc := "gcpSecretManager " + name
	fail := func(err error) (any, bool, bool, error) {
		return nil, true, false, fmt.Errorf("%s: %w", desc, err)
	}
	if !gcpSecretVersionName.MatchString(name) {
		return fail(errors.New("secretName must be projects/PROJECT/secrets/SECRET/versions/VERSION (VERSION may be latest)"))
	}
	endpoint := gcpSecretManagerEndpoint
	if e := l.getenv("KLUCTL_GCP_SECRET_MANAGER_ENDPOINT"); e != "" {
		endpoint = strings.TrimSuffix(e, "/")
	}
	u, err := url.Parse(endpoint + "/v1/" + name + ":access")
	if err != nil || u.Host == "" {
		return fail(errors.New("KLUCTL_GCP_SECRET_MANAGER_ENDPOINT is not a URL"))
	}
	if err := checkCredentialURL(u); err != nil {
		return fail(err)
	}
	ctx, cancel := context.WithTimeout(ctx, secretStoreTimeout)
	defer cancel()
	auth, err := l.gcpToken(ctx)
	if err != nil {
		return fail(err)
	}
	token := auth.token
	vars.MarkSensitive([]any{token})
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return fail(errors.New("invalid request"))
	}
	req.Header.Set("Authorization", "Bearer "+token)
	if q := l.getenv("GOOGLE_CLOUD_QUOTA_PROJECT"); q != "" {
		auth.quotaProject = q
	}
	if auth.quotaProject != "" {
		req.Header.Set("X-Goog-User-Project", auth.quotaProject)
	}
	status, body, err := doSecretStoreRequest(req)
	if err != nil {
		return fail(err)
	}
	if status != http.StatusOK {
		code, msg := googleError(body, status)
		msg = scrubSecrets(msg, token)
		switch {
		case status == http.StatusNotFound || code == "NOT_FOUND":
			return l.missingSecret(src, desc, "")
		case status == http.StatusUnauthorized || status == http.StatusForbidden:
			return fail(fmt.Errorf("authentication failed (%s): %s (token from %s)", code, msg, auth.source))
		}
		return fail(fmt.Errorf("access failed with status %d (%s): %s", status, code, msg))
	}
	var out struct {
		Payload struct {
			Data       []byte `json:"data"`
			DataCrc32c string `json:"dataCrc32c"`
		} `json:"payload"`
	}
	if err := json.Unmarshal(body, &out); err != nil {
		return fail(errors.New("the access response is not valid JSON"))
	}
	if c := out.Payload.DataCrc32c; c != "" {
		want, err := strconv.ParseUint(c, 10, 32)
		if err != nil || uint32(want) != crc32.Checksum(out.Payload.Data, crc32.MakeTable(crc32.Castagnoli)) {
			return fail(errors.New("the payload does not match its CRC32C checksum"))
		}
	}
	m, err := l.secretVars(ctx, vars, desc, string(out.Payload.Data), searchDirs)
	if err != nil {
		return fail(err)
	}
	return m, true, true, nil
}

// gcpToken finds an OAuth access token as Google's client libraries find
// application default credentials: $GOOGLE_OAUTH_ACCESS_TOKEN (a token
// made elsewhere, e.g. by `gcloud auth print-access-token`), the
// credentials file in $GOOGLE_APPLICATION_CREDENTIALS or gcloud's
// application_default_credentials.json (a service account key or a user's
// refresh token), then the metadata server on Google Cloud
// ($GCE_METADATA_HOST).
func (l *varsLoader) gcpToken(ctx context.Context) (gcpAuth, error) {
	if t := l.getenv("GOOGLE_OAUTH_ACCESS_TOKEN"); t != "" {
		return gcpAuth{token: t, source: "GOOGLE_OAUTH_ACCESS_TOKEN"}, nil
	}
	file := l.getenv("GOOGLE_APPLICATION_CREDENTIALS")
	if file == "" {
		dir := l.getenv("CLOUDSDK_CONFIG")
		if dir == "" && l.getenv("HOME") != "" {
			dir = filepath.Join(l.getenv("HOME"), ".config", "gcloud")
		}
		if p := filepath.Join(dir, "application_default_credentials.json"); dir != "" {
			if _, err := os.Stat(p); err == nil {
				file = p
			}
		}
	}
	if file != "" {
		a, err := gcpFileToken(ctx, file)
		if err != nil {
			return gcpAuth{}, fmt.Errorf("credentials file %s: %w", file, err)
		}
		a.source = "credentials file " + file
		return a, nil
	}
	host := l.getenv("GCE_METADATA_HOST")
	if host == "" {
		if b, err := os.ReadFile("/sys/class/dmi/id/product_name"); err != nil || !strings.Contains(string(b), "Google") {
			return gcpAuth{}, errors.New("no Google credentials found: set GOOGLE_APPLICATION_CREDENTIALS, run `gcloud auth application-default login` or run on Google Cloud")
		}
		host = "metadata.google.internal"
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+host+"/computeMetadata/v1/instance/service-accounts/default/token", nil)
	if err != nil {
		return gcpAuth{}, errors.New("invalid GCE_METADATA_HOST")
	}
	req.Header.Set("Metadata-Flavor", "Google")
	t, err := oauthToken(req)
	if err != nil {
		return gcpAuth{}, fmt.Errorf("metadata server %s: %w", host, err)
	}
	return gcpAuth{token: t, source: "the metadata server"}, nil
}

// gcpAuth is an access token, where it came from and the project that
// pays for the requests of user credentials (x-goog-user-project).
type gcpAuth struct {
	token, source, quotaProject string
}

// gcpFileToken exchanges the credentials of an application default
// credentials file for an access token.
func gcpFileToken(ctx context.Context, file string) (gcpAuth, error) {
	data, err := os.ReadFile(file)
	if err != nil {
		return gcpAuth{}, err
	}
	var f struct {
		Type         string `json:"type"`
		ClientEmail  string `json:"client_email"`
		PrivateKey   string `json:"private_key"`
		PrivateKeyID string `json:"private_key_id"`
		TokenURI     string `json:"token_uri"`
		ClientID     string `json:"client_id"`
		ClientSecret string `json:"client_secret"`
		RefreshToken string `json:"refresh_token"`
		QuotaProject string `json:"quota_project_id"`
	}
	if err := json.Unmarshal(data, &f); err != nil {
		return gcpAuth{}, errors.New("not a JSON credentials file")
	}
	if f.TokenURI == "" {
		f.TokenURI = gcpTokenURI
	}
	form := url.Values{}
	switch f.Type {
	case "service_account":
		assertion, err := gcpJWT(f.ClientEmail, f.PrivateKeyID, f.PrivateKey, f.TokenURI, time.Now())
		if err != nil {
			return gcpAuth{}, err
		}
		form.Set("grant_type", "urn:ietf:params:oauth:grant-type:jwt-bearer")
		form.Set("assertion", assertion)
	case "authorized_user":
		form.Set("grant_type", "refresh_token")
		form.Set("client_id", f.ClientID)
		form.Set("client_secret", f.ClientSecret)
		form.Set("refresh_token", f.RefreshToken)
	default:
		return gcpAuth{}, fmt.Errorf("credentials of type %q are not supported by this version of kluctl (use a service account key, user credentials or GOOGLE_OAUTH_ACCESS_TOKEN)", f.Type)
	}
	t, err := postTokenForm(ctx, f.TokenURI, form)
	return gcpAuth{token: t, quotaProject: f.QuotaProject}, err
}

// gcpJWT makes the signed JWT with which a service account asks for an
// access token (RFC 7523).
func gcpJWT(email, keyID, keyPEM, aud string, now time.Time) (string, error) {
	block, _ := pem.Decode([]byte(keyPEM))
	if block == nil {
		return "", errors.New("private_key is not PEM")
	}
	var key *rsa.PrivateKey
	if k, err := x509.ParsePKCS8PrivateKey(block.Bytes); err == nil {
		key, _ = k.(*rsa.PrivateKey)
	} else if k, err := x509.ParsePKCS1PrivateKey(block.Bytes); err == nil {
		key = k
	}
	if key == nil {
		return "", errors.New("private_key is not an RSA key")
	}
	enc := func(v any) string {
		b, _ := json.Marshal(v)
		return base64.RawURLEncoding.EncodeToString(b)
	}
	unsigned := enc(map[string]string{"alg": "RS256", "typ": "JWT", "kid": keyID}) + "." +
		enc(map[string]any{"iss": email, "scope": gcpScope, "aud": aud, "iat": now.Unix(), "exp": now.Add(time.Hour).Unix()})
	sum := sha256.Sum256([]byte(unsigned))
	sig, err := rsa.SignPKCS1v15(rand.Reader, key, crypto.SHA256, sum[:])
	if err != nil {
		return "", err
	}
	return unsigned + "." + base64.RawURLEncoding.EncodeToString(sig), nil
}

// postTokenForm posts an OAuth token request (which carries credentials)
// to tokenURL and returns the access token.
func postTokenForm(ctx context.Context, tokenURL string, form url.Values) (string, error) {
	u, err := url.Parse(tokenURL)
	if err != nil || u.Host == "" {
		return "", errors.New("the token URL is not a URL")
	}
	if err := checkCredentialURL(u); err != nil {
		return "", err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u.String(), strings.NewReader(form.Encode()))
	if err != nil {
		return "", errors.New("invalid token request")
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return oauthToken(req)
}

// oauthToken sends a token request and returns the access_token of the
// answer, or the OAuth error (without any credentials).
func oauthToken(req *http.Request) (string, error) {
	status, body, err := doSecretStoreRequest(req)
	if err != nil {
		return "", err
	}
	var r struct {
		AccessToken string `json:"access_token"`
		Error       string `json:"error"`
		Description string `json:"error_description"`
	}
	_ = json.Unmarshal(body, &r)
	if status != http.StatusOK || r.AccessToken == "" {
		if r.Error == "" {
			r.Error = "no access token"
		}
		desc := r.Description
		if i := strings.IndexAny(desc, "\r\n"); i >= 0 {
			desc = desc[:i] // Azure appends trace and correlation ids
		}
		return "", fmt.Errorf("token request failed with status %d: %s %s", status, r.Error, desc)
	}
	return r.AccessToken, nil
}

// googleError returns the status and message of a Google API error
// response ({"error": {"code", "message", "status"}}).
func googleError(body []byte, status int) (string, string) {
	var e struct {
		Error struct {
			Message string `json:"message"`
			Status  string `json:"status"`
		} `json:"error"`
	}
	if json.Unmarshal(body, &e) != nil || e.Error.Status == "" {
		return http.StatusText(status), "the response is not a Google API error"
	}
	return e.Error.Status, e.Error.Message
}
