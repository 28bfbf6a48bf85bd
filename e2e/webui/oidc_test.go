package webui

import (
	"context"
	"strconv"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/kluctl-go/kluctl/e2e/browser"
	"github.com/kluctl-go/kluctl/internal/freeport"
	"github.com/kluctl-go/kluctl/internal/webui/oidctest"
)

// TestWebUIOIDCBrowser: OIDC logins in the browser against a provider on
// loopback. The groups of the ID token decide: admins, viewers, and
// nobody; a provider that denies shows its error on the login page.
func TestWebUIOIDCBrowser(t *testing.T) {
	e := newEnv(t)
	p, err := oidctest.Start()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(p.Close)
	if _, err := e.cs.CoreV1().Secrets(e.ns).Create(context.Background(), &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Name: "oidc-client"},
		StringData: map[string]string{"client-secret": oidctest.ClientSecret},
	}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	// The redirect URL names the UI's port before it starts.
	p0, err := freeport.Port()
	if err != nil {
		t.Fatal(err)
	}
	port := strconv.Itoa(p0)
	base, _ := e.webui("--in-cluster", "--in-cluster-context", e.c.Context(), "--controller-namespace", e.ns, "--port", port,
		"--auth-oidc-issuer-url", p.URL(), "--auth-oidc-client-id", oidctest.ClientID,
		"--auth-oidc-client-secret-name", "oidc-client", "--auth-oidc-client-secret-key", "client-secret",
		"--auth-oidc-redirect-url", "http://127.0.0.1:"+port+"/auth/callback", "--auth-oidc-display-name", "Test IdP",
		"--auth-oidc-admins-group", "kluctl-admins", "--auth-oidc-viewers-group", "kluctl-viewers")

	b := browser.Start(t)
	b.SetScreenshotDir(screenshotDir(t))
	// deployNow answers 403 to viewers; admins reach the cluster, which
	// has no such KluctlDeployment.
	deployNow := func() any {
		return b.Eval(`return fetch('/api/deployNow', {method: 'POST', headers: {'Content-Type': 'application/json'},
			body: JSON.stringify({name: 'none', namespace: arguments[0]})}).then(r => r.status)`, e.ns)
	}
	oidcLogin := func() {
		b.Navigate(base)
		b.WaitText("#login-oidc", "Log in with Test IdP", 30*time.Second)
		if b.Has("#live-status") {
			t.Error("the login page shows the state of an event stream it does not have")
		}
		b.Find("#login-oidc").Click()
	}
	logout := func() {
		b.Find("#logout").Click()
		b.WaitFor("#login-form", 30*time.Second)
	}

	p.SetClaims(map[string]any{"email": "ann@example.com", "groups": []string{"staff", "kluctl-admins"}})
	oidcLogin()
	b.WaitText("#user-name", "ann@example.com (admin)", 30*time.Second)
	b.WaitText("#live-status", "live", 30*time.Second)
	b.Shot("21-oidc-admin")
	if got := deployNow(); got != float64(404) {
		t.Errorf("deployNow as an OIDC admin: %v, want 404 from the cluster", got)
	}
	logout()

	p.SetClaims(map[string]any{"email": "vic@example.com", "groups": []string{"kluctl-viewers"}})
	oidcLogin()
	b.WaitText("#user-name", "vic@example.com (viewer)", 30*time.Second)
	b.Shot("22-oidc-viewer")
	if got := deployNow(); got != float64(403) {
		t.Errorf("deployNow as an OIDC viewer: %v, want 403", got)
	}
	logout()

	p.SetClaims(map[string]any{"email": "eve@example.com", "groups": []string{"staff"}})
	oidcLogin()
	b.WaitText("#login-error", "eve@example.com is in none of the admin or viewer groups", 30*time.Second)
	b.Shot("23-oidc-no-group")
	if b.Has("#user-name") {
		t.Error("a user of no group is logged in")
	}

	p.Deny("access_denied")
	oidcLogin()
	b.WaitText("#login-error", "access_denied", 30*time.Second)
	if b.Has("#user-name") {
		t.Error("a denied login is logged in")
	}
	if p.TokensIssued() != 3 {
		t.Errorf("the provider issued %d tokens, want 3 (none for the denied login)", p.TokensIssued())
	}
}
