package webui

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/google/go-cmp/cmp"
)

const (
	testClientID     = "kluctl-webui"
	testClientSecret = "client-secret-1"
	testPrefix       = "/kluctl"
	testRedirectURL  = "http://webui.test/kluctl/auth/callback"
	testKeyID        = "key-1"
)

// testKeys are the provider's signing key and another one, made once:
// RSA key generation is slow under the race detector.
var testKeys = sync.OnceValues(func() ([2]*rsa.PrivateKey, error) {
	var keys [2]*rsa.PrivateKey
	for i := range keys {
		k, err := rsa.GenerateKey(rand.Reader, 2048)
		if err != nil {
			return keys, err
		}
		keys[i] = k
	}
	return keys, nil
})

// testProvider is a minimal OpenID provider: discovery, JWKS, an
// authorization endpoint that approves at once and a token endpoint.
type testProvider struct {
	srv *httptest.Server
	key *rsa.PrivateKey // published in the JWKS

	mu sync.Mutex
	// what the next tokens hold and how they are made
	claims   map[string]any // added to (or replacing) the standard claims
	signKey  *rsa.PrivateKey
	denyWith string // the authorization endpoint answers this error
	codes    map[string]string
	n        int
	tokens   int // token requests that got a token
}

func newTestProvider(t *testing.T) *testProvider {
	t.Helper()
	keys, err := testKeys()
	if err != nil {
		t.Fatalf("generate RSA keys: %v", err)
	}
	p := &testProvider{key: keys[0], signKey: keys[0], codes: map[string]string{}}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /.well-known/openid-configuration", p.discovery)
	mux.HandleFunc("GET /keys", p.keys)
	mux.HandleFunc("GET /authorize", p.authorize)
	mux.HandleFunc("POST /token", p.token)
	p.srv = httptest.NewServer(mux)
	t.Cleanup(p.srv.Close)
	return p
}

func (p *testProvider) discovery(w http.ResponseWriter, _ *http.Request) {
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

func (p *testProvider) keys(w http.ResponseWriter, _ *http.Request) {
	set := jose.JSONWebKeySet{Keys: []jose.JSONWebKey{{Key: &p.key.PublicKey, KeyID: testKeyID, Algorithm: string(jose.RS256), Use: "sig"}}}
	_ = json.NewEncoder(w).Encode(set)
}

func (p *testProvider) authorize(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	redirect := q.Get("redirect_uri")
	if q.Get("response_type") != "code" || q.Get("client_id") != testClientID || redirect == "" || q.Get("state") == "" {
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

func (p *testProvider) token(w http.ResponseWriter, r *http.Request) {
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
	if id != testClientID || secret != testClientSecret {
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
	now := time.Now()
	claims := map[string]any{
		"iss": p.srv.URL, "aud": testClientID, "sub": "user-1",
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
		tokenError(http.StatusInternalServerError, "server_error")
		return
	}
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.RS256, Key: jose.JSONWebKey{Key: p.signKey, KeyID: testKeyID}},
		(&jose.SignerOptions{}).WithType("JWT"))
	if err != nil {
		tokenError(http.StatusInternalServerError, "server_error")
		return
	}
	jws, err := signer.Sign(payload)
	if err != nil {
		tokenError(http.StatusInternalServerError, "server_error")
		return
	}
	idToken, err := jws.CompactSerialize()
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

func testOIDCOptions(issuer string) OIDCOptions {
	o := DefaultOIDCOptions()
	o.IssuerURL = issuer
	o.ClientID = testClientID
	o.RedirectURL = testRedirectURL
	o.AdminsGroups = []string{"kluctl-admins"}
	o.ViewersGroups = []string{"kluctl-viewers", "readers"}
	return o
}

func newTestOIDC(t *testing.T, o OIDCOptions, clientSecret string) *oidcAuth {
	t.Helper()
	s, _ := newTestSessions("oidc-session-key")
	a, err := newOIDC(context.Background(), o, clientSecret, s)
	if err != nil {
		t.Fatalf("newOIDC: %v", err)
	}
	return a
}

func cookieNamed(resp *http.Response, name string) *http.Cookie {
	for _, c := range resp.Cookies() {
		if c.Name == name {
			return c
		}
	}
	return nil
}

// oidcLogin runs login and the provider's authorization and returns the
// callback request the browser would make, with the state cookie.
func oidcLogin(t *testing.T, a *oidcAuth) *http.Request {
	t.Helper()
	rec := httptest.NewRecorder()
	a.login(rec, httptest.NewRequest("GET", "http://webui.test"+testPrefix+"/auth/login", nil))
	resp := rec.Result()
	if resp.StatusCode != http.StatusTemporaryRedirect {
		t.Fatalf("login status = %d, want %d", resp.StatusCode, http.StatusTemporaryRedirect)
	}
	state := cookieNamed(resp, oidcStateCookie)
	if state == nil {
		t.Fatalf("login set no %s cookie", oidcStateCookie)
	}
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	aresp, err := client.Get(resp.Header.Get("Location"))
	if err != nil {
		t.Fatalf("follow the login redirect: %v", err)
	}
	aresp.Body.Close()
	if aresp.StatusCode != http.StatusFound {
		t.Fatalf("authorization endpoint status = %d, want %d", aresp.StatusCode, http.StatusFound)
	}
	back := aresp.Header.Get("Location")
	if !strings.HasPrefix(back, testRedirectURL+"?") {
		t.Fatalf("the provider redirected to %q, want the redirect URL %s", back, testRedirectURL)
	}
	req := httptest.NewRequest("GET", back, nil)
	req.AddCookie(&http.Cookie{Name: state.Name, Value: state.Value})
	return req
}

func TestOIDCCallback(t *testing.T) {
	tests := []struct {
		name string
		// provider setup
		claims       map[string]any
		signWithKey2 bool
		denyWith     string
		// UI setup
		options      func(*OIDCOptions)
		clientSecret string // "" means the right one
		tamper       func(r *http.Request) *http.Request
		// results
		wantCode       int
		wantSession    *session // a session with Issued/Expires of the fake clock
		wantLoginError []string // substrings of the login_error parameter
		wantNoExchange bool     // the code must not be redeemed
	}{
		{name: "admin group", claims: map[string]any{"email": "ann@example.com", "groups": []string{"devs", "kluctl-admins"}},
			wantCode: http.StatusTemporaryRedirect, wantSession: &session{User: "ann@example.com", Admin: true, Kind: "oidc"}},
		{name: "viewer group", claims: map[string]any{"email": "vic@example.com", "groups": []string{"readers"}},
			wantCode: http.StatusTemporaryRedirect, wantSession: &session{User: "vic@example.com", Admin: false, Kind: "oidc"}},
		{name: "admin and viewer group", claims: map[string]any{"email": "bob@example.com", "groups": []string{"kluctl-viewers", "kluctl-admins"}},
			wantCode: http.StatusTemporaryRedirect, wantSession: &session{User: "bob@example.com", Admin: true, Kind: "oidc"}},
		{name: "custom claims", claims: map[string]any{"email": "x@example.com", "preferred_username": "carl", "roles": []string{"ops"}},
			options: func(o *OIDCOptions) {
				o.UserClaim, o.GroupClaim, o.AdminsGroups = "preferred_username", "roles", []string{"ops"}
			},
			wantCode: http.StatusTemporaryRedirect, wantSession: &session{User: "carl", Admin: true, Kind: "oidc"}},
		{name: "no matching group", claims: map[string]any{"email": "eve@example.com", "groups": []string{"devs"}},
			wantCode: http.StatusTemporaryRedirect, wantLoginError: []string{"permission denied", "eve@example.com"}},
		{name: "no groups", claims: map[string]any{"email": "eve@example.com"},
			wantCode: http.StatusTemporaryRedirect, wantLoginError: []string{"permission denied"}},
		{name: "groups not a list", claims: map[string]any{"email": "eve@example.com", "groups": "kluctl-admins"},
			wantCode: http.StatusTemporaryRedirect, wantLoginError: []string{"permission denied"}},
		{name: "no user claim", claims: map[string]any{"groups": []string{"kluctl-admins"}},
			wantCode: http.StatusTemporaryRedirect, wantLoginError: []string{`no string claim "email"`}},
		{name: "token signed by another key", signWithKey2: true, claims: map[string]any{"email": "ann@example.com", "groups": []string{"kluctl-admins"}},
			wantCode: http.StatusTemporaryRedirect, wantLoginError: []string{"ID token is not valid"}},
		{name: "token for another client", claims: map[string]any{"email": "ann@example.com", "groups": []string{"kluctl-admins"}, "aud": "other-client"},
			wantCode: http.StatusTemporaryRedirect, wantLoginError: []string{"ID token is not valid"}},
		{name: "token from another issuer", claims: map[string]any{"email": "ann@example.com", "groups": []string{"kluctl-admins"}, "iss": "https://evil.example.com"},
			wantCode: http.StatusTemporaryRedirect, wantLoginError: []string{"ID token is not valid"}},
		{name: "expired token", claims: map[string]any{"email": "ann@example.com", "groups": []string{"kluctl-admins"},
			"exp": time.Now().Add(-time.Hour).Unix(), "iat": time.Now().Add(-2 * time.Hour).Unix()},
			wantCode: http.StatusTemporaryRedirect, wantLoginError: []string{"ID token is not valid"}},
		{name: "wrong client secret", clientSecret: "wrong", claims: map[string]any{"email": "ann@example.com", "groups": []string{"kluctl-admins"}},
			wantCode: http.StatusTemporaryRedirect, wantLoginError: []string{"code exchange failed"}, wantNoExchange: true},
		{name: "provider denies", denyWith: "access_denied",
			wantCode: http.StatusTemporaryRedirect, wantLoginError: []string{"access_denied", "the user said no"}, wantNoExchange: true},
		{name: "state mismatch", claims: map[string]any{"email": "ann@example.com", "groups": []string{"kluctl-admins"}},
			tamper: func(r *http.Request) *http.Request {
				u := *r.URL
				q := u.Query()
				q.Set("state", "forged-state")
				u.RawQuery = q.Encode()
				out := httptest.NewRequest("GET", u.String(), nil)
				out.Header["Cookie"] = r.Header["Cookie"]
				return out
			},
			wantCode: http.StatusBadRequest, wantNoExchange: true},
		{name: "no state cookie", claims: map[string]any{"email": "ann@example.com", "groups": []string{"kluctl-admins"}},
			tamper: func(r *http.Request) *http.Request {
				r.Header.Del("Cookie")
				return r
			},
			wantCode: http.StatusBadRequest, wantNoExchange: true},
		{name: "no state parameter", claims: map[string]any{"email": "ann@example.com", "groups": []string{"kluctl-admins"}},
			tamper: func(r *http.Request) *http.Request {
				u := *r.URL
				q := u.Query()
				q.Del("state")
				u.RawQuery = q.Encode()
				out := httptest.NewRequest("GET", u.String(), nil)
				out.Header["Cookie"] = r.Header["Cookie"]
				return out
			},
			wantCode: http.StatusBadRequest, wantNoExchange: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := newTestProvider(t)
			keys, _ := testKeys()
			p.claims, p.denyWith = tc.claims, tc.denyWith
			if tc.signWithKey2 {
				p.signKey = keys[1]
			}
			o := testOIDCOptions(p.srv.URL)
			if tc.options != nil {
				tc.options(&o)
			}
			secret := tc.clientSecret
			if secret == "" {
				secret = testClientSecret
			}
			a := newTestOIDC(t, o, secret)

			req := oidcLogin(t, a)
			if tc.tamper != nil {
				req = tc.tamper(req)
			}
			rec := httptest.NewRecorder()
			a.callback(testPrefix)(rec, req)
			resp := rec.Result()
			if resp.StatusCode != tc.wantCode {
				t.Fatalf("callback status = %d (%s), want %d", resp.StatusCode, strings.TrimSpace(rec.Body.String()), tc.wantCode)
			}
			p.mu.Lock()
			tokens := p.tokens
			p.mu.Unlock()
			if tc.wantNoExchange && tokens != 0 {
				t.Errorf("the provider issued %d tokens, want none", tokens)
			}

			sc := cookieNamed(resp, sessionCookie)
			if tc.wantSession == nil && sc != nil {
				t.Errorf("callback set a session cookie on a failed login")
			}
			if tc.wantCode != http.StatusTemporaryRedirect {
				return
			}
			// Once the state has been checked it is used up.
			if c := cookieNamed(resp, oidcStateCookie); c == nil || c.MaxAge >= 0 {
				t.Errorf("callback did not clear the state cookie: %+v", c)
			}
			loc, err := url.Parse(resp.Header.Get("Location"))
			if err != nil {
				t.Fatalf("callback Location %q: %v", resp.Header.Get("Location"), err)
			}

			if tc.wantSession != nil {
				if got := loc.String(); got != testPrefix+"/" {
					t.Errorf("callback Location = %q, want %q", got, testPrefix+"/")
				}
				if sc == nil {
					t.Fatalf("callback set no session cookie")
				}
				got, ok := a.sessions.decode(sc.Value)
				if !ok {
					t.Fatalf("the session cookie of the callback does not decode")
				}
				want := *tc.wantSession
				want.Issued, want.Expires = testEpoch.Unix(), testEpoch.Add(time.Hour).Unix()
				if diff := cmp.Diff(want, got); diff != "" {
					t.Errorf("callback session (-want +got):\n%s", diff)
				}
				return
			}

			if loc.Path != testPrefix+"/" || !loc.Query().Has("login_error") {
				t.Fatalf("callback Location = %q, want %s/?login_error=...", loc, testPrefix)
			}
			msg := loc.Query().Get("login_error")
			for _, s := range tc.wantLoginError {
				if !strings.Contains(msg, s) {
					t.Errorf("login_error %q does not contain %q", msg, s)
				}
			}
		})
	}
}

func TestOIDCCodeIsUsedOnce(t *testing.T) {
	p := newTestProvider(t)
	p.claims = map[string]any{"email": "ann@example.com", "groups": []string{"kluctl-admins"}}
	a := newTestOIDC(t, testOIDCOptions(p.srv.URL), testClientSecret)
	req := oidcLogin(t, a)
	replay := req.Clone(context.Background())

	rec := httptest.NewRecorder()
	a.callback(testPrefix)(rec, req)
	if cookieNamed(rec.Result(), sessionCookie) == nil {
		t.Fatalf("the first callback set no session cookie (status %d, Location %q)", rec.Code, rec.Header().Get("Location"))
	}
	rec = httptest.NewRecorder()
	a.callback(testPrefix)(rec, replay)
	if cookieNamed(rec.Result(), sessionCookie) != nil {
		t.Errorf("a replayed callback set a session cookie")
	}
	if loc := rec.Header().Get("Location"); !strings.Contains(loc, "login_error=") {
		t.Errorf("replayed callback Location = %q, want a login_error", loc)
	}
}

func TestOIDCAuthorizeURL(t *testing.T) {
	tests := []struct {
		name       string
		scopes     []string
		params     []string
		xfp        string
		wantScope  string
		wantParams map[string]string
		wantSecure bool
	}{
		{name: "default scopes", wantScope: "openid profile email"},
		{name: "scopes without openid", scopes: []string{"email", "groups"}, wantScope: "openid email groups"},
		{name: "scopes with openid", scopes: []string{"groups", "openid"}, wantScope: "groups openid"},
		{name: "params", params: []string{"prompt=login", "audience=api://kluctl", "empty="},
			wantScope: "openid profile email", wantParams: map[string]string{"prompt": "login", "audience": "api://kluctl", "empty": ""}},
		{name: "behind https proxy", xfp: "https", wantScope: "openid profile email", wantSecure: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := newTestProvider(t)
			o := testOIDCOptions(p.srv.URL)
			o.Scopes, o.Params = tc.scopes, tc.params
			a := newTestOIDC(t, o, testClientSecret)

			req := httptest.NewRequest("GET", "http://webui.test"+testPrefix+"/auth/login", nil)
			if tc.xfp != "" {
				req.Header.Set("X-Forwarded-Proto", tc.xfp)
			}
			rec := httptest.NewRecorder()
			a.login(rec, req)
			resp := rec.Result()
			loc, err := url.Parse(resp.Header.Get("Location"))
			if err != nil {
				t.Fatalf("login Location: %v", err)
			}
			if got, want := loc.Scheme+"://"+loc.Host+loc.Path, p.srv.URL+"/authorize"; got != want {
				t.Errorf("login redirects to %s, want %s", got, want)
			}
			state := cookieNamed(resp, oidcStateCookie)
			if state == nil {
				t.Fatalf("login set no %s cookie", oidcStateCookie)
			}
			q := loc.Query()
			want := map[string]string{
				"client_id": testClientID, "redirect_uri": testRedirectURL, "response_type": "code",
				"scope": tc.wantScope, "state": state.Value,
			}
			for k, v := range tc.wantParams {
				want[k] = v
			}
			got := map[string]string{}
			for k := range q {
				got[k] = q.Get(k)
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("authorization URL parameters (-want +got):\n%s", diff)
			}
			if len(state.Value) < 40 {
				t.Errorf("state %q is shorter than 40 characters", state.Value)
			}
			type attrs struct {
				Path     string
				HttpOnly bool
				SameSite http.SameSite
				Secure   bool
			}
			wantAttrs := attrs{Path: testPrefix + "/", HttpOnly: true, SameSite: http.SameSiteLaxMode, Secure: tc.wantSecure}
			if diff := cmp.Diff(wantAttrs, attrs{state.Path, state.HttpOnly, state.SameSite, state.Secure}); diff != "" {
				t.Errorf("state cookie attributes (-want +got):\n%s", diff)
			}

			// A second login gets another state.
			rec2 := httptest.NewRecorder()
			a.login(rec2, httptest.NewRequest("GET", "http://webui.test"+testPrefix+"/auth/login", nil))
			if s2 := cookieNamed(rec2.Result(), oidcStateCookie); s2 == nil || s2.Value == state.Value {
				t.Errorf("two logins got the same state %q", state.Value)
			}
		})
	}
}

func TestNewOIDCErrors(t *testing.T) {
	p := newTestProvider(t)
	down := httptest.NewServer(http.NotFoundHandler())
	down.Close()
	tests := []struct {
		name    string
		change  func(*OIDCOptions)
		wantErr []string
	}{
		{name: "no client id", change: func(o *OIDCOptions) { o.ClientID = "" }, wantErr: []string{"--auth-oidc-client-id"}},
		{name: "no redirect URL", change: func(o *OIDCOptions) { o.RedirectURL = "" }, wantErr: []string{"--auth-oidc-redirect-url"}},
		{name: "param without =", change: func(o *OIDCOptions) { o.Params = []string{"a=b", "prompt"} }, wantErr: []string{`"prompt"`, "key=value"}},
		{name: "issuer unreachable", change: func(o *OIDCOptions) { o.IssuerURL = down.URL }, wantErr: []string{down.URL}},
		{name: "issuer differs from discovery", change: func(o *OIDCOptions) { o.IssuerURL = p.srv.URL + "/" }, wantErr: []string{p.srv.URL + "/"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			o := testOIDCOptions(p.srv.URL)
			tc.change(&o)
			s, _ := newTestSessions("k")
			a, err := newOIDC(context.Background(), o, testClientSecret, s)
			if err == nil {
				t.Fatalf("newOIDC = %+v, nil; want an error", a)
			}
			for _, w := range tc.wantErr {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not contain %q", err, w)
				}
			}
		})
	}
}
