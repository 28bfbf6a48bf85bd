package webui

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"golang.org/x/time/rate"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"

	"github.com/kluctl-go/kluctl/internal/controller"
)

func newTestAuth(limiter *rate.Limiter) (*auth, *fakeClock) {
	s, clock := newTestSessions("auth-key")
	return &auth{
		opts: AuthOptions{Enabled: true, StaticLoginEnabled: true,
			AdminRBACUser: "rbac-admin", ViewerRBACUser: "rbac-viewer"},
		sessions:   s,
		adminHash:  sha256.Sum256([]byte(testAdminPassword)),
		viewerHash: sha256.Sum256([]byte(testViewerPassword)),
		logins:     &loginLimiter{all: rate.NewLimiter(rate.Inf, 1), perClient: func() *rate.Limiter { return rate.NewLimiter(limiter.Limit(), limiter.Burst()) }, now: time.Now, clients: map[string]*clientLimit{}},
	}, clock
}

func jsonLogin(user, password string) *http.Request {
	b, _ := json.Marshal(map[string]string{"username": user, "password": password})
	r := httptest.NewRequest("POST", "/kluctl/auth/staticLogin", strings.NewReader(string(b)))
	r.Header.Set("Content-Type", "application/json")
	return r
}

func formLogin(user, password string) *http.Request {
	r := httptest.NewRequest("POST", "/kluctl/auth/staticLogin", strings.NewReader(url.Values{"username": {user}, "password": {password}}.Encode()))
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return r
}

func TestStaticLogin(t *testing.T) {
	tests := []struct {
		name        string
		req         *http.Request
		wantCode    int
		wantSession *session // nil: no session cookie
	}{
		{name: "admin json", req: jsonLogin("admin", testAdminPassword), wantCode: http.StatusOK,
			wantSession: &session{User: "admin", Admin: true, Kind: "static"}},
		{name: "viewer json", req: jsonLogin("viewer", testViewerPassword), wantCode: http.StatusOK,
			wantSession: &session{User: "viewer", Admin: false, Kind: "static"}},
		{name: "admin form", req: formLogin("admin", testAdminPassword), wantCode: http.StatusOK,
			wantSession: &session{User: "admin", Admin: true, Kind: "static"}},
		{name: "viewer form", req: formLogin("viewer", testViewerPassword), wantCode: http.StatusOK,
			wantSession: &session{User: "viewer", Admin: false, Kind: "static"}},
		{name: "json with charset", req: func() *http.Request {
			r := jsonLogin("admin", testAdminPassword)
			r.Header.Set("Content-Type", "application/json; charset=utf-8")
			return r
		}(), wantCode: http.StatusOK, wantSession: &session{User: "admin", Admin: true, Kind: "static"}},
		{name: "wrong password", req: jsonLogin("admin", "nope"), wantCode: http.StatusUnauthorized},
		{name: "wrong password form", req: formLogin("viewer", "nope"), wantCode: http.StatusUnauthorized},
		{name: "admin with the viewer password", req: jsonLogin("admin", testViewerPassword), wantCode: http.StatusUnauthorized},
		{name: "viewer with the admin password", req: jsonLogin("viewer", testAdminPassword), wantCode: http.StatusUnauthorized},
		{name: "unknown user", req: jsonLogin("root", testAdminPassword), wantCode: http.StatusUnauthorized},
		{name: "missing password", req: jsonLogin("admin", ""), wantCode: http.StatusBadRequest},
		{name: "missing username", req: formLogin("", testAdminPassword), wantCode: http.StatusBadRequest},
		{name: "empty form", req: formLogin("", ""), wantCode: http.StatusBadRequest},
		{name: "bad json", req: func() *http.Request {
			r := httptest.NewRequest("POST", "/kluctl/auth/staticLogin", strings.NewReader("{"))
			r.Header.Set("Content-Type", "application/json")
			return r
		}(), wantCode: http.StatusBadRequest},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			a, _ := newTestAuth(rate.NewLimiter(rate.Inf, 1))
			rec := httptest.NewRecorder()
			a.staticLogin(rec, tc.req)
			resp := rec.Result()
			if resp.StatusCode != tc.wantCode {
				t.Fatalf("staticLogin status = %d (%s), want %d", resp.StatusCode, strings.TrimSpace(rec.Body.String()), tc.wantCode)
			}
			c := sessionCookieOf(t, resp)
			if tc.wantSession == nil {
				if c != nil {
					t.Errorf("staticLogin set a session cookie on a failed login")
				}
				return
			}
			if c == nil {
				t.Fatalf("staticLogin set no session cookie")
			}
			got, ok := a.sessions.decode(c.Value)
			if !ok {
				t.Fatalf("the session cookie of the login does not decode")
			}
			want := *tc.wantSession
			want.Issued, want.Expires, want.Login = testEpoch.Unix(), testEpoch.Add(time.Hour).Unix(), testEpoch.Unix()
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("login session (-want +got):\n%s", diff)
			}
		})
	}
}

func TestStaticLoginRateLimit(t *testing.T) {
	// One attempt, then none for a very long time.
	a, _ := newTestAuth(rate.NewLimiter(rate.Every(24*time.Hour), 1))
	codes := []int{}
	for _, req := range []*http.Request{
		jsonLogin("admin", "wrong"),
		jsonLogin("admin", testAdminPassword), // right, but too late
	} {
		rec := httptest.NewRecorder()
		a.staticLogin(rec, req)
		codes = append(codes, rec.Code)
		if rec.Code == http.StatusTooManyRequests && sessionCookieOf(t, rec.Result()) != nil {
			t.Errorf("a refused login set a session cookie")
		}
	}
	if diff := cmp.Diff([]int{http.StatusUnauthorized, http.StatusTooManyRequests}, codes); diff != "" {
		t.Errorf("status codes of two logins (-want +got):\n%s", diff)
	}
}

func TestRequire(t *testing.T) {
	a, _ := newTestAuth(rate.NewLimiter(rate.Inf, 1))
	login := func(user, pw string) string {
		rec := httptest.NewRecorder()
		a.staticLogin(rec, jsonLogin(user, pw))
		c := sessionCookieOf(t, rec.Result())
		if c == nil {
			t.Fatalf("login of %s failed: %d %s", user, rec.Code, rec.Body.String())
		}
		return c.Value
	}
	adminCookie, viewerCookie := login("admin", testAdminPassword), login("viewer", testViewerPassword)
	disabled := &auth{opts: AuthOptions{Enabled: false}}

	tests := []struct {
		name     string
		auth     *auth
		cookie   string
		wantCode int
		wantUser *User // nil: the handler must not run
	}{
		{name: "no cookie", auth: a, wantCode: http.StatusUnauthorized},
		{name: "bad cookie", auth: a, cookie: "x.y", wantCode: http.StatusUnauthorized},
		{name: "admin", auth: a, cookie: adminCookie, wantCode: http.StatusOK, wantUser: &User{Username: "admin", IsAdmin: true}},
		{name: "viewer", auth: a, cookie: viewerCookie, wantCode: http.StatusOK, wantUser: &User{Username: "viewer", IsAdmin: false}},
		{name: "auth disabled, no cookie", auth: disabled, wantCode: http.StatusOK, wantUser: &User{Username: "admin", IsAdmin: true}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var got *User
			called := false
			h := tc.auth.require(func(w http.ResponseWriter, _ *http.Request, u *User) {
				called, got = true, u
				w.WriteHeader(http.StatusOK)
			})
			req := httptest.NewRequest("GET", "/kluctl/api/getShortNames", nil)
			if tc.cookie != "" {
				req.AddCookie(&http.Cookie{Name: sessionCookie, Value: tc.cookie})
			}
			rec := httptest.NewRecorder()
			h(rec, req)
			if rec.Code != tc.wantCode {
				t.Errorf("status = %d, want %d", rec.Code, tc.wantCode)
			}
			if called != (tc.wantUser != nil) {
				t.Fatalf("handler called = %v, want %v", called, tc.wantUser != nil)
			}
			if diff := cmp.Diff(tc.wantUser, got); diff != "" {
				t.Errorf("user passed to the handler (-want +got):\n%s", diff)
			}
		})
	}
}

func TestRBACUser(t *testing.T) {
	enabled, _ := newTestAuth(rate.NewLimiter(rate.Inf, 1))
	disabled := &auth{opts: AuthOptions{Enabled: false, AdminRBACUser: "rbac-admin", ViewerRBACUser: "rbac-viewer"}}
	tests := []struct {
		name string
		auth *auth
		user *User
		want string
	}{
		{name: "admin", auth: enabled, user: &User{Username: "admin", IsAdmin: true}, want: "rbac-admin"},
		{name: "viewer", auth: enabled, user: &User{Username: "viewer"}, want: "rbac-viewer"},
		{name: "oidc admin", auth: enabled, user: &User{Username: "jane@example.com", IsAdmin: true}, want: "rbac-admin"},
		{name: "disabled admin", auth: disabled, user: localAdmin, want: ""},
		{name: "disabled viewer", auth: disabled, user: &User{Username: "viewer"}, want: ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.auth.rbacUser(tc.user); got != tc.want {
				t.Errorf("rbacUser(%+v) = %q, want %q", tc.user, got, tc.want)
			}
		})
	}
}

func TestLogout(t *testing.T) {
	tests := []struct {
		name         string
		enabled      bool
		prefix       string
		logoutURL    string
		returnParam  string
		query        string
		wantLocation string
		wantCleared  bool
	}{
		{name: "to the UI", enabled: true, prefix: "/kluctl", wantLocation: "/kluctl/", wantCleared: true},
		{name: "to the UI at the root", enabled: true, prefix: "", wantLocation: "/", wantCleared: true},
		{name: "to the logout URL", enabled: true, prefix: "/kluctl", logoutURL: "https://idp.example.com/logout",
			wantLocation: "https://idp.example.com/logout", wantCleared: true},
		{name: "to the logout URL with the return param", enabled: true, prefix: "/kluctl",
			logoutURL: "https://idp.example.com/logout?client=ui", returnParam: "rd", query: "returnUrl=" + url.QueryEscape("https://ui.example.com/kluctl/"),
			wantLocation: "https://idp.example.com/logout?client=ui&rd=" + url.QueryEscape("https://ui.example.com/kluctl/"), wantCleared: true},
		{name: "a foreign return URL is dropped", enabled: true, prefix: "/kluctl",
			logoutURL: "https://idp.example.com/logout", returnParam: "rd", query: "returnUrl=" + url.QueryEscape("https://evil.example/"),
			wantLocation: "https://idp.example.com/logout", wantCleared: true},
		{name: "return URL without a return param", enabled: true, prefix: "/kluctl",
			logoutURL: "https://idp.example.com/logout", query: "returnUrl=x",
			wantLocation: "https://idp.example.com/logout", wantCleared: true},
		{name: "return param without a return URL", enabled: true, prefix: "/kluctl",
			logoutURL: "https://idp.example.com/logout", returnParam: "rd",
			wantLocation: "https://idp.example.com/logout", wantCleared: true},
		{name: "auth disabled", enabled: false, prefix: "/kluctl", wantLocation: "/kluctl/", wantCleared: false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			a, _ := newTestAuth(rate.NewLimiter(rate.Inf, 1))
			a.opts.LogoutURL, a.opts.LogoutReturnParam = tc.logoutURL, tc.returnParam
			if !tc.enabled {
				a = &auth{opts: AuthOptions{LogoutURL: tc.logoutURL, LogoutReturnParam: tc.returnParam}}
			}
			target := tc.prefix + "/auth/logout"
			if tc.query != "" {
				target += "?" + tc.query
			}
			rec := httptest.NewRecorder()
			req := httptest.NewRequest("GET", target, nil)
			req.Host = "ui.example.com"
			a.logout(tc.prefix)(rec, req)
			if rec.Code != http.StatusTemporaryRedirect {
				t.Errorf("status = %d, want %d", rec.Code, http.StatusTemporaryRedirect)
			}
			if got := rec.Header().Get("Location"); got != tc.wantLocation {
				t.Errorf("Location = %q, want %q", got, tc.wantLocation)
			}
			c := sessionCookieOf(t, rec.Result())
			if !tc.wantCleared {
				if c != nil {
					t.Errorf("logout without auth set a session cookie")
				}
				return
			}
			if c == nil || c.Value != "" || c.MaxAge >= 0 {
				t.Errorf("logout session cookie = %+v, want an empty one with a negative max-age", c)
			}
		})
	}
}

func newFakeClient(t *testing.T, objs ...client.Object) client.Client {
	t.Helper()
	scheme, err := controller.Scheme()
	if err != nil {
		t.Fatalf("controller scheme: %v", err)
	}
	return fake.NewClientBuilder().WithScheme(scheme).WithObjects(objs...).Build()
}

func TestSecretValue(t *testing.T) {
	const ns, name = "kluctl-system", "webui-secret"
	existing := func(data map[string]string) *corev1.Secret {
		s := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name}, Data: map[string][]byte{}}
		for k, v := range data {
			s.Data[k] = []byte(v)
		}
		return s
	}
	tests := []struct {
		name      string
		objs      []client.Object
		key       string
		generate  bool
		want      string // "" with wantGen: a generated value
		wantGen   bool
		wantErr   []string // substrings of the error
		wantStore map[string]string
	}{
		{name: "missing Secret is created", key: "auth-secret", generate: true, wantGen: true},
		{name: "missing key is added", objs: []client.Object{existing(map[string]string{"other": "x"})},
			key: "auth-secret", generate: true, wantGen: true, wantStore: map[string]string{"other": "x"}},
		{name: "empty key is replaced", objs: []client.Object{existing(map[string]string{"auth-secret": ""})},
			key: "auth-secret", generate: true, wantGen: true},
		{name: "existing key is returned", objs: []client.Object{existing(map[string]string{"admin-password": "hunter2"})},
			key: "admin-password", generate: true, want: "hunter2", wantStore: map[string]string{"admin-password": "hunter2"}},
		{name: "existing key without generate", objs: []client.Object{existing(map[string]string{"oidc-client-secret": "cs"})},
			key: "oidc-client-secret", generate: false, want: "cs", wantStore: map[string]string{"oidc-client-secret": "cs"}},
		{name: "missing key without generate", objs: []client.Object{existing(map[string]string{"other": "x"})},
			key: "oidc-client-secret", generate: false, wantErr: []string{ns + "/" + name, `"oidc-client-secret"`},
			wantStore: map[string]string{"other": "x"}},
		{name: "missing Secret without generate", key: "oidc-client-secret", generate: false,
			wantErr: []string{ns + "/" + name}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cl := newFakeClient(t, tc.objs...)
			ctx := context.Background()
			got, err := secretValue(ctx, cl, ns, name, tc.key, tc.generate)
			if len(tc.wantErr) != 0 {
				if err == nil {
					t.Fatalf("secretValue = %q, nil; want an error", got)
				}
				for _, s := range tc.wantErr {
					if !strings.Contains(err.Error(), s) {
						t.Errorf("error %q does not name %s", err, s)
					}
				}
			} else if err != nil {
				t.Fatalf("secretValue: %v", err)
			}
			if tc.wantGen {
				if len(got) != 32 {
					t.Errorf("generated value %q has %d characters, want 32", got, len(got))
				}
				for _, r := range got {
					if !strings.ContainsRune(passwordAlphabet, r) {
						t.Errorf("generated value %q holds %q, not in the password alphabet", got, r)
						break
					}
				}
			} else if got != tc.want {
				t.Errorf("secretValue = %q, want %q", got, tc.want)
			}

			var s corev1.Secret
			err = cl.Get(ctx, types.NamespacedName{Namespace: ns, Name: name}, &s)
			if tc.wantStore == nil && !tc.wantGen {
				if err == nil {
					t.Errorf("secretValue created Secret %s/%s without generate", ns, name)
				}
				return
			}
			if err != nil {
				t.Fatalf("read the Secret back: %v", err)
			}
			wantStore := map[string]string{}
			for k, v := range tc.wantStore {
				wantStore[k] = v
			}
			if tc.wantGen {
				wantStore[tc.key] = got
			}
			gotStore := map[string]string{}
			for k, v := range s.Data {
				gotStore[k] = string(v)
			}
			if diff := cmp.Diff(wantStore, gotStore); diff != "" {
				t.Errorf("Secret data after secretValue (-want +got):\n%s", diff)
			}
			if tc.wantGen {
				// Asked again, the stored value comes back.
				again, err := secretValue(ctx, cl, ns, name, tc.key, true)
				if err != nil || again != got {
					t.Errorf("second secretValue = %q, %v; want the stored %q", again, err, got)
				}
			}
		})
	}
}

func TestRandomStringDiffers(t *testing.T) {
	a, err := randomString(32)
	if err != nil {
		t.Fatal(err)
	}
	b, err := randomString(32)
	if err != nil {
		t.Fatal(err)
	}
	if a == b {
		t.Errorf("two random strings are both %q", a)
	}
}

// Sessions are signed with the static passwords too: after a password
// changes, the logins made before are over.
func TestSessionsEndWhenAPasswordChanges(t *testing.T) {
	ctx := context.Background()
	secret := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: "kluctl-system", Name: "webui-secret"},
		Data: map[string][]byte{"auth-secret": []byte("k"), "admin-password": []byte("a1"), "viewer-password": []byte("v1")}}
	cl := fake.NewClientBuilder().WithObjects(secret).Build()
	opts := DefaultAuthOptions()
	opts.Enabled = true
	first, err := newAuth(ctx, cl, opts, "")
	if err != nil {
		t.Fatal(err)
	}
	rec := httptest.NewRecorder()
	first.sessions.start(rec, httptest.NewRequest("POST", "/auth/staticLogin", nil), "admin", true, "static")
	cookie := sessionCookieOf(t, rec.Result()).Value
	again, err := newAuth(ctx, cl, opts, "")
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := again.sessions.decode(cookie); !ok {
		t.Fatal("a restart with the same passwords ended the session")
	}
	secret.Data["viewer-password"] = []byte("v2")
	if err := cl.Update(ctx, secret); err != nil {
		t.Fatal(err)
	}
	rotated, err := newAuth(ctx, cl, opts, "")
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := rotated.sessions.decode(cookie); ok {
		t.Error("the session survived a password change")
	}
}
