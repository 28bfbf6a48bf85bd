// Package oidctest is a minimal OpenID Connect provider for tests of the
// web UI's OIDC login: discovery, JWKS, an authorization endpoint that
// approves (or denies) at once, and a token endpoint issuing RS256 ID
// tokens. It serves on loopback.
package oidctest

import (
	"crypto/rand"
	"crypto/rsa"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sync"
	"time"

	"github.com/go-jose/go-jose/v4"
)

// The client the provider knows.
const (
	ClientID     = "kluctl-webui"
	ClientSecret = "client-secret-1"
)

const keyID = "key-1"

// keys are the provider's signing key and a foreign one, made once per
// test binary: RSA key generation is slow under the race detector.
var keys = sync.OnceValues(func() ([2]*rsa.PrivateKey, error) {
	var out [2]*rsa.PrivateKey
	for i := range out {
		k, err := rsa.GenerateKey(rand.Reader, 2048)
		if err != nil {
			return out, fmt.Errorf("generate an RSA key: %w", err)
		}
		out[i] = k
	}
	return out, nil
})

// Provider is a running provider; Close stops it.
type Provider struct {
	srv *httptest.Server
	key *rsa.PrivateKey // published in the JWKS

	mu       sync.Mutex
	claims   map[string]any
	signKey  *rsa.PrivateKey
	denyWith string
	codes    map[string]string // code -> redirect URI
	n        int
	tokens   int
}

// Start starts a provider.
func Start() (*Provider, error) {
	k, err := keys()
	if err != nil {
		return nil, err
	}
	p := &Provider{key: k[0], signKey: k[0], codes: map[string]string{}}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /.well-known/openid-configuration", p.discovery)
	mux.HandleFunc("GET /keys", p.keys)
	mux.HandleFunc("GET /authorize", p.authorize)
	mux.HandleFunc("POST /token", p.token)
	p.srv = httptest.NewServer(mux)
	return p, nil
}

// URL is the issuer URL.
func (p *Provider) URL() string { return p.srv.URL }

// Close stops the provider.
func (p *Provider) Close() { p.srv.Close() }

// SetClaims sets what the next ID tokens hold besides iss, aud, sub, iat
// and exp; a nil value removes one of those.
func (p *Provider) SetClaims(claims map[string]any) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.claims = claims
}

// Deny makes the authorization endpoint answer with the OAuth error e;
// "" approves again.
func (p *Provider) Deny(e string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.denyWith = e
}

// SignWithForeignKey makes the next ID tokens signed with a key the JWKS
// does not hold.
func (p *Provider) SignWithForeignKey() {
	k, _ := keys()
	p.mu.Lock()
	defer p.mu.Unlock()
	p.signKey = k[1]
}

// TokensIssued counts the token requests that got a token.
func (p *Provider) TokensIssued() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.tokens
}

func (p *Provider) discovery(w http.ResponseWriter, _ *http.Request) {
	u := p.srv.URL
	_ = json.NewEncoder(w).Encode(map[string]any{
		"issuer":                                u,
		"authorization_endpoint":                u + "/authorize",
		"token_endpoint":                        u + "/token",
		"jwks_uri":                              u + "/keys",
		"response_types_supported":              []string{"code"},
		"subject_types_supported":               []string{"public"},
		"id_token_signing_alg_values_supported": []string{"RS256"},
	})
}

func (p *Provider) keys(w http.ResponseWriter, _ *http.Request) {
	set := jose.JSONWebKeySet{Keys: []jose.JSONWebKey{{Key: &p.key.PublicKey, KeyID: keyID, Algorithm: string(jose.RS256), Use: "sig"}}}
	_ = json.NewEncoder(w).Encode(set)
}

func (p *Provider) authorize(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	redirect := q.Get("redirect_uri")
	if q.Get("response_type") != "code" || q.Get("client_id") != ClientID || redirect == "" || q.Get("state") == "" {
		http.Error(w, "bad authorization request: "+r.URL.RawQuery, http.StatusBadRequest)
		return
	}
	back, err := url.Parse(redirect)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	bq := back.Query()
	bq.Set("state", q.Get("state"))
	p.mu.Lock()
	if p.denyWith != "" {
		bq.Set("error", p.denyWith)
		bq.Set("error_description", "the user said no")
	} else {
		p.n++
		code := fmt.Sprintf("code-%d", p.n)
		p.codes[code] = redirect
		bq.Set("code", code)
	}
	p.mu.Unlock()
	back.RawQuery = bq.Encode()
	http.Redirect(w, r, back.String(), http.StatusFound)
}

func (p *Provider) token(w http.ResponseWriter, r *http.Request) {
	tokenError := func(code int, e string) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(code)
		_ = json.NewEncoder(w).Encode(map[string]string{"error": e})
	}
	if err := r.ParseForm(); err != nil {
		tokenError(http.StatusBadRequest, "invalid_request")
		return
	}
	id, secret, ok := r.BasicAuth()
	if ok {
		// RFC 6749 2.3.1: the credentials are form-encoded first.
		id, _ = url.QueryUnescape(id)
		secret, _ = url.QueryUnescape(secret)
	} else {
		id, secret = r.PostForm.Get("client_id"), r.PostForm.Get("client_secret")
	}
	if id != ClientID || secret != ClientSecret {
		tokenError(http.StatusUnauthorized, "invalid_client")
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	code := r.PostForm.Get("code")
	redirect, known := p.codes[code]
	delete(p.codes, code)
	if r.PostForm.Get("grant_type") != "authorization_code" || !known || r.PostForm.Get("redirect_uri") != redirect {
		tokenError(http.StatusBadRequest, "invalid_grant")
		return
	}
	idToken, err := p.idToken()
	if err != nil {
		tokenError(http.StatusInternalServerError, "server_error")
		return
	}
	p.tokens++
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(map[string]any{
		"access_token": "access-" + code, "token_type": "Bearer", "expires_in": 3600, "id_token": idToken,
	})
}

// idToken signs the claims of the next token; p.mu is held.
func (p *Provider) idToken() (string, error) {
	now := time.Now()
	claims := map[string]any{
		"iss": p.srv.URL, "aud": ClientID, "sub": "user-1",
		"iat": now.Unix(), "exp": now.Add(time.Hour).Unix(),
	}
	for k, v := range p.claims {
		if v == nil {
			delete(claims, k)
		} else {
			claims[k] = v
		}
	}
	payload, err := json.Marshal(claims)
	if err != nil {
		return "", err
	}
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.RS256, Key: jose.JSONWebKey{Key: p.signKey, KeyID: keyID}},
		(&jose.SignerOptions{}).WithType("JWT"))
	if err != nil {
		return "", err
	}
	jws, err := signer.Sign(payload)
	if err != nil {
		return "", err
	}
	return jws.CompactSerialize()
}
