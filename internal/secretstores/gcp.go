package secretstores

import (
	"crypto"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"hash/crc32"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
)

// GCPServiceAccount is a service account whose signed JWTs the token
// endpoint exchanges for AccessToken.
type GCPServiceAccount struct {
	Email       string
	PublicKey   *rsa.PublicKey
	AccessToken string
}

// GCPUser is a user's refresh token that the token endpoint exchanges for
// AccessToken.
type GCPUser struct {
	ClientID, ClientSecret, RefreshToken string
	AccessToken                          string
}

// GCPOptions configures a Google Secret Manager server.
type GCPOptions struct {
	// AccessTokens are the OAuth tokens Secret Manager accepts, besides
	// those the token endpoint and the metadata server hand out.
	AccessTokens []string
	// MetadataToken is the token of the metadata server's default service
	// account; empty answers 404 there.
	MetadataToken   string
	ServiceAccounts []GCPServiceAccount
	Users           []GCPUser
}

// GCPSecretManager implements Secret Manager's REST method
// projects.secrets.versions.access (GET /v1/NAME:access, payload data in
// base64 with its CRC32C), the OAuth token endpoint (POST /token: the
// JWT bearer grant of service accounts, RS256 signatures checked, and the
// refresh token grant) and the token of the metadata server
// (/computeMetadata/v1/instance/service-accounts/default/token with
// Metadata-Flavor: Google). Errors are Google's ({"error": {code,
// message, status}}).
type GCPSecretManager struct {
	server
	opts     GCPOptions
	versions map[string][]byte
}

// StartGCPSecretManager starts a Secret Manager server on loopback.
func StartGCPSecretManager(opts GCPOptions) *GCPSecretManager {
	s := &GCPSecretManager{opts: opts, versions: map[string][]byte{}}
	s.start(s.serve)
	return s
}

// TokenURL is the token endpoint, for the token_uri of credentials files.
func (s *GCPSecretManager) TokenURL() string { return s.URL() + "/token" }

// Put adds data as the latest version of secret (projects/P/secrets/S).
func (s *GCPSecretManager) Put(secret string, data []byte) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.versions[secret+"/versions/latest"] = data
	s.versions[secret+"/versions/1"] = data
}

func (s *GCPSecretManager) serve(w http.ResponseWriter, r *http.Request) {
	fail := func(code int, status, msg string) {
		writeJSON(w, "application/json; charset=UTF-8", code, map[string]any{"error": map[string]any{"code": code, "message": msg, "status": status}})
	}
	switch {
	case r.URL.Path == "/token" && r.Method == http.MethodPost:
		s.token(w, r)
		return
	case r.URL.Path == "/computeMetadata/v1/instance/service-accounts/default/token":
		if r.Header.Get("Metadata-Flavor") != "Google" || s.opts.MetadataToken == "" {
			http.Error(w, "Missing required header: Metadata-Flavor", http.StatusForbidden)
			return
		}
		writeJSON(w, "application/json", http.StatusOK, map[string]any{"access_token": s.opts.MetadataToken, "expires_in": 3599, "token_type": "Bearer"})
		return
	}
	name, ok := strings.CutSuffix(strings.TrimPrefix(r.URL.Path, "/v1/"), ":access")
	if !ok || r.Method != http.MethodGet {
		fail(http.StatusNotFound, "NOT_FOUND", "Method not found.")
		return
	}
	tok, _ := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	if !s.validToken(tok) {
		fail(http.StatusUnauthorized, "UNAUTHENTICATED", "Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or other valid authentication credential.")
		return
	}
	s.mu.Lock()
	data, ok := s.versions[name]
	s.mu.Unlock()
	if !ok {
		secret, _, _ := strings.Cut(name, "/versions/")
		fail(http.StatusNotFound, "NOT_FOUND", fmt.Sprintf("Secret [%s] not found or has no versions.", secret))
		return
	}
	sum := crc32.Checksum(data, crc32.MakeTable(crc32.Castagnoli))
	writeJSON(w, "application/json; charset=UTF-8", http.StatusOK, map[string]any{
		"name":    strings.Replace(name, "/versions/latest", "/versions/1", 1),
		"payload": map[string]any{"data": base64.StdEncoding.EncodeToString(data), "dataCrc32c": strconv.FormatUint(uint64(sum), 10)},
	})
}

func (s *GCPSecretManager) validToken(tok string) bool {
	valid := append([]string{s.opts.MetadataToken}, s.opts.AccessTokens...)
	for _, sa := range s.opts.ServiceAccounts {
		valid = append(valid, sa.AccessToken)
	}
	for _, u := range s.opts.Users {
		valid = append(valid, u.AccessToken)
	}
	return tok != "" && slices.Contains(valid, tok)
}

// token is the OAuth token endpoint.
func (s *GCPSecretManager) token(w http.ResponseWriter, r *http.Request) {
	fail := func(code, desc string) {
		writeJSON(w, "application/json", http.StatusBadRequest, map[string]string{"error": code, "error_description": desc})
	}
	grant := func(tok string) {
		writeJSON(w, "application/json", http.StatusOK, map[string]any{"access_token": tok, "expires_in": 3599, "token_type": "Bearer"})
	}
	if err := r.ParseForm(); err != nil {
		fail("invalid_request", "bad form")
		return
	}
	switch r.PostForm.Get("grant_type") {
	case "refresh_token":
		for _, u := range s.opts.Users {
			if u.ClientID == r.PostForm.Get("client_id") && u.ClientSecret == r.PostForm.Get("client_secret") && u.RefreshToken == r.PostForm.Get("refresh_token") {
				grant(u.AccessToken)
				return
			}
		}
		fail("invalid_grant", "Bad Request")
	case "urn:ietf:params:oauth:grant-type:jwt-bearer":
		claims, problem := s.verifyJWT(r.PostForm.Get("assertion"))
		if problem != "" {
			fail("invalid_grant", problem)
			return
		}
		for _, sa := range s.opts.ServiceAccounts {
			if sa.Email == claims.Iss {
				grant(sa.AccessToken)
				return
			}
		}
		fail("invalid_grant", "Invalid JWT Signature.")
	default:
		fail("unsupported_grant_type", "Invalid grant_type: "+r.PostForm.Get("grant_type"))
	}
}

type jwtClaims struct {
	Iss, Scope, Aud string
	Iat, Exp        int64
}

// verifyJWT checks the RS256 signature of a service account's assertion
// and its claims: audience, scope and lifetime (at most an hour). It
// returns Google's description of the problem, if any.
func (s *GCPSecretManager) verifyJWT(jwt string) (*jwtClaims, string) {
	parts := strings.Split(jwt, ".")
	if len(parts) != 3 {
		return nil, "invalid JWT"
	}
	var header struct{ Alg, Typ string }
	var c jwtClaims
	h, err1 := base64.RawURLEncoding.DecodeString(parts[0])
	p, err2 := base64.RawURLEncoding.DecodeString(parts[1])
	sig, err3 := base64.RawURLEncoding.DecodeString(parts[2])
	if err1 != nil || err2 != nil || err3 != nil || json.Unmarshal(h, &header) != nil || json.Unmarshal(p, &c) != nil || header.Alg != "RS256" {
		return nil, "invalid JWT"
	}
	now := time.Now().Unix()
	switch {
	case c.Aud != s.TokenURL():
		return nil, "Invalid JWT: audience " + c.Aud + " is not the token endpoint."
	case !strings.Contains(c.Scope, "https://www.googleapis.com/auth/cloud-platform"):
		return nil, "Invalid OAuth scope or ID token audience provided."
	case c.Exp-c.Iat > 3600 || c.Iat > now+300 || c.Exp < now:
		return nil, "Invalid JWT: Token must be a short-lived token (60 minutes) and in a reasonable timeframe."
	}
	sum := sha256.Sum256([]byte(parts[0] + "." + parts[1]))
	for _, sa := range s.opts.ServiceAccounts {
		if sa.Email == c.Iss && rsa.VerifyPKCS1v15(sa.PublicKey, crypto.SHA256, sum[:], sig) == nil {
			return &c, ""
		}
	}
	return nil, "Invalid JWT Signature."
}
