package webui

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/kluctl-go/kluctl/internal/webui/oidctest"
)

const (
	testClientID     = oidctest.ClientID
	testClientSecret = oidctest.ClientSecret
	testPrefix       = "/kluctl"
	testRedirectURL  = "http://webui.test/kluctl/auth/callback"
)

func newTestProvider(t *testing.T) *oidctest.Provider {
	t.Helper()
	p, err := oidctest.Start()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(p.Close)
	return p
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
			p.SetClaims(tc.claims)
			p.Deny(tc.denyWith)
			if tc.signWithKey2 {
				p.SignWithForeignKey()
			}
			o := testOIDCOptions(p.URL())
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
			tokens := p.TokensIssued()
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
				want.Issued, want.Expires, want.Login = testEpoch.Unix(), testEpoch.Add(time.Hour).Unix(), testEpoch.Unix()
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
	p.SetClaims(map[string]any{"email": "ann@example.com", "groups": []string{"kluctl-admins"}})
	a := newTestOIDC(t, testOIDCOptions(p.URL()), testClientSecret)
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
			o := testOIDCOptions(p.URL())
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
			if got, want := loc.Scheme+"://"+loc.Host+loc.Path, p.URL()+"/authorize"; got != want {
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
		{name: "issuer differs from discovery", change: func(o *OIDCOptions) { o.IssuerURL = p.URL() + "/" }, wantErr: []string{p.URL() + "/"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			o := testOIDCOptions(p.URL())
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
