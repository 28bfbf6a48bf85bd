package secretstores

import (
	"net/http"
	"regexp"
	"slices"
	"strings"
	"time"
)

// AzureClient is an application (service principal) of the identity
// platform: with its secret, or a federated token (workload identity), it
// gets AccessToken for Key Vault.
type AzureClient struct {
	TenantID, ClientID string
	// ClientSecret or FederatedToken (the client assertion) must match.
	ClientSecret, FederatedToken string
	AccessToken                  string
}

// AzureOptions configures an Azure Key Vault server.
type AzureOptions struct {
	// AccessTokens are the tokens the vault accepts, besides those the
	// token endpoint hands out.
	AccessTokens []string
	Clients      []AzureClient
}

// AzureKeyVault implements Key Vault's Get Secret (GET
// /secrets/NAME[/VERSION]?api-version=7.x, bearer tokens, Key Vault's
// errors: 401 with a WWW-Authenticate challenge, 404 SecretNotFound) and
// the Microsoft identity platform's token endpoint (POST
// /TENANT/oauth2/v2.0/token, client credentials grant with a client
// secret or a client assertion, scope https://vault.azure.net/.default).
// Its URL is the vaultUri and the authority host at once.
type AzureKeyVault struct {
	server
	opts    AzureOptions
	secrets map[string]string
}

var azureSecretPath = regexp.MustCompile(`^/secrets/([0-9A-Za-z-]+)(/[0-9a-f]*)?$`)

// StartAzureKeyVault starts a Key Vault server on loopback.
func StartAzureKeyVault(opts AzureOptions) *AzureKeyVault {
	s := &AzureKeyVault{opts: opts, secrets: map[string]string{}}
	s.start(s.serve)
	return s
}

// Put sets the value of the secret name.
func (s *AzureKeyVault) Put(name, value string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.secrets[strings.ToLower(name)] = value
}

func (s *AzureKeyVault) serve(w http.ResponseWriter, r *http.Request) {
	fail := func(status int, code, msg string) {
		writeJSON(w, "application/json; charset=utf-8", status, map[string]any{"error": map[string]string{"code": code, "message": msg}})
	}
	if strings.HasSuffix(r.URL.Path, "/oauth2/v2.0/token") && r.Method == http.MethodPost {
		s.token(w, r)
		return
	}
	m := azureSecretPath.FindStringSubmatch(r.URL.Path)
	if m == nil || r.Method != http.MethodGet {
		fail(http.StatusBadRequest, "BadParameter", "The request URI contains an invalid name: "+r.URL.Path)
		return
	}
	if !strings.HasPrefix(r.URL.Query().Get("api-version"), "7.") {
		fail(http.StatusBadRequest, "BadParameter", "The specified version ("+r.URL.Query().Get("api-version")+") is not recognized. Consider using the latest supported version (7.4).")
		return
	}
	tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	if !ok || tok == "" {
		w.Header().Set("WWW-Authenticate", `Bearer authorization="`+s.URL()+`/common", resource="https://vault.azure.net"`)
		fail(http.StatusUnauthorized, "Unauthorized", "AKV10000: Request is missing a Bearer or PoP token.")
		return
	}
	if !s.validToken(tok) {
		fail(http.StatusUnauthorized, "Unauthorized", "[TokenExpired] Error validating token: 'S2S12086'.")
		return
	}
	s.mu.Lock()
	value, found := s.secrets[strings.ToLower(m[1])]
	s.mu.Unlock()
	if !found {
		fail(http.StatusNotFound, "SecretNotFound", "A secret with (name/id) "+m[1]+" was not found in this key vault. If you recently deleted this secret you may be able to recover it using the correct recovery command. For help resolving this issue, please see https://go.microsoft.com/fwlink/?linkid=2125182")
		return
	}
	now := time.Now().Unix()
	writeJSON(w, "application/json; charset=utf-8", http.StatusOK, map[string]any{
		"value": value, "id": s.URL() + "/secrets/" + m[1] + "/0123456789abcdef0123456789abcdef",
		"attributes": map[string]any{"enabled": true, "created": now, "updated": now, "recoveryLevel": "Recoverable+Purgeable", "recoverableDays": 90},
		"tags":       map[string]string{},
	})
}

func (s *AzureKeyVault) validToken(tok string) bool {
	valid := append([]string{}, s.opts.AccessTokens...)
	for _, c := range s.opts.Clients {
		valid = append(valid, c.AccessToken)
	}
	return slices.Contains(valid, tok)
}

// token is the identity platform's v2.0 token endpoint.
func (s *AzureKeyVault) token(w http.ResponseWriter, r *http.Request) {
	fail := func(status int, code, desc string) {
		writeJSON(w, "application/json; charset=utf-8", status, map[string]any{"error": code, "error_description": desc + "\r\nTrace ID: 00000000-0000-0000-0000-000000000000\r\nCorrelation ID: 00000000-0000-0000-0000-000000000000\r\nTimestamp: " + time.Now().UTC().Format("2006-01-02 15:04:05Z"), "error_codes": []int{0}})
	}
	tenant := strings.TrimSuffix(strings.TrimPrefix(r.URL.Path, "/"), "/oauth2/v2.0/token")
	if err := r.ParseForm(); err != nil || r.PostForm.Get("grant_type") != "client_credentials" {
		fail(http.StatusBadRequest, "unsupported_grant_type", "AADSTS70003: The app requested an unsupported grant type.")
		return
	}
	if r.PostForm.Get("scope") != "https://vault.azure.net/.default" {
		fail(http.StatusBadRequest, "invalid_scope", "AADSTS70011: The provided request must include a 'scope' input parameter.")
		return
	}
	for _, c := range s.opts.Clients {
		if c.TenantID != tenant || c.ClientID != r.PostForm.Get("client_id") {
			continue
		}
		secretOK := c.ClientSecret != "" && r.PostForm.Get("client_secret") == c.ClientSecret
		assertionOK := c.FederatedToken != "" && r.PostForm.Get("client_assertion") == c.FederatedToken &&
			r.PostForm.Get("client_assertion_type") == "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
		if !secretOK && !assertionOK {
			fail(http.StatusUnauthorized, "invalid_client", "AADSTS7000215: Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID, for a secret added to app '"+c.ClientID+"'.")
			return
		}
		writeJSON(w, "application/json; charset=utf-8", http.StatusOK, map[string]any{"token_type": "Bearer", "expires_in": 3599, "ext_expires_in": 3599, "access_token": c.AccessToken})
		return
	}
	fail(http.StatusBadRequest, "unauthorized_client", "AADSTS700016: Application with identifier '"+r.PostForm.Get("client_id")+"' was not found in the directory '"+tenant+"'.")
}
