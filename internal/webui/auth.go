package webui

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
	"net/http"
	"net/url"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// AuthOptions configure who may use the UI; the flag names and defaults
// are the original's.
type AuthOptions struct {
	// Enabled turns authentication on (in-cluster mode). Without it every
	// request acts as admin with the server's own cluster access.
	Enabled bool
	// SecretNamespace holds the Secrets below (the controller namespace).
	SecretNamespace string

	AuthSecretName, AuthSecretKey string

	StaticLoginEnabled              bool
	StaticLoginSecretName           string
	StaticAdminKey, StaticViewerKey string
	AdminRBACUser, ViewerRBACUser   string
	SessionTTL                      time.Duration
	LogoutURL, LogoutReturnParam    string
	OIDC                            OIDCOptions
}

// DefaultAuthOptions are the original's defaults.
func DefaultAuthOptions() AuthOptions {
	return AuthOptions{
		SecretNamespace: "kluctl-system",
		AuthSecretName:  "webui-secret", AuthSecretKey: "auth-secret",
		StaticLoginEnabled: true, StaticLoginSecretName: "webui-secret",
		StaticAdminKey: "admin-password", StaticViewerKey: "viewer-password",
		AdminRBACUser: "kluctl-webui-admin", ViewerRBACUser: "kluctl-webui-viewer",
		SessionTTL: time.Hour,
		OIDC:       DefaultOIDCOptions(),
	}
}

// User is who makes a request.
type User struct {
	Username string `json:"username"`
	IsAdmin  bool   `json:"isAdmin"`
}

var localAdmin = &User{Username: "admin", IsAdmin: true}

// auth answers /auth/* and tells the API who asks.
type auth struct {
	opts     AuthOptions
	sessions *sessions
	// password hashes of the static users
	adminHash, viewerHash [32]byte
	logins                *loginLimiter
	oidc                  *oidcAuth
}

// newAuth reads (and, where missing, generates) the Secrets auth needs.
func newAuth(ctx context.Context, cl client.Client, opts AuthOptions, pathPrefix string) (*auth, error) {
	a := &auth{opts: opts, logins: newLoginLimiter()}
	if !opts.Enabled {
		return a, nil
	}
	if opts.SessionTTL <= 0 {
		return nil, errors.New("--auth-session-ttl must be positive")
	}
	key, err := secretValue(ctx, cl, opts.SecretNamespace, opts.AuthSecretName, opts.AuthSecretKey, true)
	if err != nil {
		return nil, err
	}
	sessionKey := sha256.New()
	sessionKey.Write([]byte(key))
	if opts.StaticLoginEnabled {
		admin, err := secretValue(ctx, cl, opts.SecretNamespace, opts.StaticLoginSecretName, opts.StaticAdminKey, true)
		if err != nil {
			return nil, err
		}
		viewer, err := secretValue(ctx, cl, opts.SecretNamespace, opts.StaticLoginSecretName, opts.StaticViewerKey, true)
		if err != nil {
			return nil, err
		}
		a.adminHash, a.viewerHash = sha256.Sum256([]byte(admin)), sha256.Sum256([]byte(viewer))
		// Sessions are signed with the passwords too: changing one (and
		// restarting the UI) ends every login made before.
		sessionKey.Write(a.adminHash[:])
		sessionKey.Write(a.viewerHash[:])
	}
	a.sessions = &sessions{key: sessionKey.Sum(nil), ttl: opts.SessionTTL, path: pathPrefix + "/", now: time.Now, secure: secureRequest}
	if opts.OIDC.IssuerURL != "" {
		secret, err := secretValue(ctx, cl, opts.SecretNamespace, opts.OIDC.ClientSecretName, opts.OIDC.ClientSecretKey, false)
		if err != nil {
			return nil, err
		}
		if a.oidc, err = newOIDC(ctx, opts.OIDC, secret, a.sessions); err != nil {
			return nil, err
		}
	}
	return a, nil
}

// passwordAlphabet is that of the original's generated passwords.
const passwordAlphabet = "bcdfghjklmnpqrstvwxz2456789"

func randomString(n int) (string, error) {
	b := make([]byte, n)
	max := big.NewInt(int64(len(passwordAlphabet)))
	for i := range b {
		x, err := rand.Int(rand.Reader, max)
		if err != nil {
			return "", err
		}
		b[i] = passwordAlphabet[x.Int64()]
	}
	return string(b), nil
}

// secretValue reads key of Secret ns/name; with generate, a missing Secret
// or key is created with a random value (as the original does).
func secretValue(ctx context.Context, cl client.Client, ns, name, key string, generate bool) (string, error) {
	var s corev1.Secret
	err := cl.Get(ctx, types.NamespacedName{Namespace: ns, Name: name}, &s)
	if apierrors.IsNotFound(err) && generate {
		s = corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name}}
		if err = cl.Create(ctx, &s, client.FieldOwner("kluctl-webui")); apierrors.IsAlreadyExists(err) {
			err = cl.Get(ctx, types.NamespacedName{Namespace: ns, Name: name}, &s)
		}
	}
	if err != nil {
		return "", fmt.Errorf("read Secret %s/%s: %w", ns, name, err)
	}
	if v, ok := s.Data[key]; ok && len(v) != 0 {
		return string(v), nil
	}
	if !generate {
		return "", fmt.Errorf("the Secret %s/%s has no key %q", ns, name, key)
	}
	v, err := randomString(32)
	if err != nil {
		return "", err
	}
	// The optimistic lock makes concurrent replicas agree on one value.
	patch := client.MergeFromWithOptions(s.DeepCopy(), client.MergeFromWithOptimisticLock{})
	if s.Data == nil {
		s.Data = map[string][]byte{}
	}
	s.Data[key] = []byte(v)
	if err := cl.Patch(ctx, &s, patch, client.FieldOwner("kluctl-webui")); err != nil {
		if apierrors.IsConflict(err) {
			// Another replica changed the Secret first, maybe storing
			// this very key: read it again.
			return secretValue(ctx, cl, ns, name, key, generate)
		}
		return "", fmt.Errorf("store a generated %q in Secret %s/%s: %w", key, ns, name, err)
	}
	return v, nil
}

// user returns who makes r (renewing the session), or nil.
func (a *auth) user(w http.ResponseWriter, r *http.Request) *User {
	if !a.opts.Enabled {
		return localAdmin
	}
	s, ok := a.sessions.get(w, r)
	if !ok {
		return nil
	}
	return &User{Username: s.User, IsAdmin: s.Admin}
}

// sessionEnd is when the session of r expires (zero without auth).
func (a *auth) sessionEnd(r *http.Request) time.Time {
	if !a.opts.Enabled {
		return time.Time{}
	}
	c, err := r.Cookie(sessionCookie)
	if err != nil {
		return time.Now()
	}
	s, ok := a.sessions.decode(c.Value)
	if !ok {
		return time.Now()
	}
	if now := a.sessions.now(); now.Sub(time.Unix(s.Issued, 0)) > refreshAfter {
		return now.Add(a.sessions.ttl) // the request renewed it (see sessions.get)
	}
	return time.Unix(s.Expires, 0)
}

// rbacUser is the user the cluster access of u impersonates; "" when auth
// is off (the server's own identity, as the original).
func (a *auth) rbacUser(u *User) string {
	if !a.opts.Enabled {
		return ""
	}
	if u.IsAdmin {
		return a.opts.AdminRBACUser
	}
	return a.opts.ViewerRBACUser
}

func (a *auth) routes(mux *http.ServeMux, prefix string) {
	mux.HandleFunc("GET "+prefix+"/auth/info", a.info)
	mux.HandleFunc("GET "+prefix+"/auth/user", a.userInfo)
	mux.HandleFunc("GET "+prefix+"/auth/logout", a.logout(prefix))
	if a.opts.Enabled && a.opts.StaticLoginEnabled {
		mux.HandleFunc("POST "+prefix+"/auth/staticLogin", a.staticLogin)
	}
	if a.oidc != nil {
		mux.HandleFunc("GET "+prefix+"/auth/login", a.oidc.login)
		mux.HandleFunc("GET "+prefix+"/auth/callback", a.oidc.callback(prefix))
	}
}

func (a *auth) info(w http.ResponseWriter, _ *http.Request) {
	type info struct {
		AuthEnabled        bool   `json:"authEnabled"`
		StaticLoginEnabled bool   `json:"staticLoginEnabled"`
		OIDCEnabled        bool   `json:"oidcEnabled"`
		OIDCName           string `json:"oidcName,omitempty"`
	}
	in := info{AuthEnabled: a.opts.Enabled, StaticLoginEnabled: a.opts.Enabled && a.opts.StaticLoginEnabled, OIDCEnabled: a.oidc != nil}
	if a.oidc != nil {
		in.OIDCName = a.opts.OIDC.DisplayName
	}
	writeJSON(w, http.StatusOK, in)
}

func (a *auth) userInfo(w http.ResponseWriter, r *http.Request) {
	u := a.user(w, r)
	if u == nil {
		http.Error(w, "not logged in", http.StatusUnauthorized)
		return
	}
	writeJSON(w, http.StatusOK, u)
}

// staticLogin checks a user name and password (JSON or form) against the
// Secret, in constant time, and starts a session.
func (a *auth) staticLogin(w http.ResponseWriter, r *http.Request) {
	if !a.logins.allow(r) {
		http.Error(w, "too many login attempts, try again later", http.StatusTooManyRequests)
		return
	}
	var in struct {
		Username string `json:"username"`
		Password string `json:"password"`
	}
	r.Body = http.MaxBytesReader(w, r.Body, 4096)
	if strings.HasPrefix(r.Header.Get("Content-Type"), "application/json") {
		if err := json.NewDecoder(r.Body).Decode(&in); err != nil {
			http.Error(w, "bad login request: "+err.Error(), http.StatusBadRequest)
			return
		}
	} else {
		in.Username, in.Password = r.PostFormValue("username"), r.PostFormValue("password")
	}
	if in.Username == "" || in.Password == "" {
		http.Error(w, "username and password are required", http.StatusBadRequest)
		return
	}
	h := sha256.Sum256([]byte(in.Password))
	adminOK := subtle.ConstantTimeCompare(h[:], a.adminHash[:]) == 1
	viewerOK := subtle.ConstantTimeCompare(h[:], a.viewerHash[:]) == 1
	switch {
	case in.Username == "admin" && adminOK:
		a.sessions.start(w, r, "admin", true, "static")
	case in.Username == "viewer" && viewerOK:
		a.sessions.start(w, r, "viewer", false, "static")
	default:
		http.Error(w, "wrong username or password", http.StatusUnauthorized)
		return
	}
	writeJSON(w, http.StatusOK, "ok")
}

func (a *auth) logout(prefix string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if a.sessions != nil {
			a.sessions.clear(w, r)
		}
		target := prefix + "/"
		if a.opts.LogoutURL != "" {
			u, err := url.Parse(a.opts.LogoutURL)
			if err == nil {
				if ret := r.URL.Query().Get("returnUrl"); ret != "" && a.opts.LogoutReturnParam != "" && (ownURL(ret, r.Host) || ownURL(ret, r.Header.Get("X-Forwarded-Host"))) {
					q := u.Query()
					q.Set(a.opts.LogoutReturnParam, ret)
					u.RawQuery = q.Encode()
				}
				target = u.String()
			}
		}
		http.Redirect(w, r, target, http.StatusTemporaryRedirect)
	}
}

// ownURL reports whether u leads back to this server: a path, or an
// absolute http(s) URL of host. The logout redirect must not send users
// elsewhere through the identity provider.
func ownURL(u, host string) bool {
	p, err := url.Parse(u)
	if err != nil || strings.Contains(u, `\`) {
		return false
	}
	if p.Scheme == "" && p.Host == "" {
		return strings.HasPrefix(u, "/") && !strings.HasPrefix(u, "//")
	}
	return host != "" && (p.Scheme == "http" || p.Scheme == "https") && strings.EqualFold(p.Host, host)
}

// require wraps an API handler: it answers 401 without a logged-in user.
func (a *auth) require(h func(http.ResponseWriter, *http.Request, *User)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		u := a.user(w, r)
		if u == nil {
			http.Error(w, "not logged in", http.StatusUnauthorized)
			return
		}
		h(w, r, u)
	}
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(v)
}
