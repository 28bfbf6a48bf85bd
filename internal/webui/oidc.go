package webui

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"
)

// OIDCOptions configure the OpenID Connect login (flags of the original).
type OIDCOptions struct {
	IssuerURL                         string
	DisplayName                       string
	ClientID                          string
	ClientSecretName, ClientSecretKey string
	RedirectURL                       string
	Scopes                            []string
	Params                            []string // k=v added to the authorization URL
	UserClaim, GroupClaim             string
	AdminsGroups, ViewersGroups       []string
}

// DefaultOIDCOptions are the original's defaults.
func DefaultOIDCOptions() OIDCOptions {
	return OIDCOptions{DisplayName: "OpenID Connect", ClientSecretName: "webui-secret", ClientSecretKey: "oidc-client-secret",
		UserClaim: "email", GroupClaim: "groups"}
}

const oidcStateCookie = "auth-oidc-state"

type oidcAuth struct {
	opts     OIDCOptions
	verifier *oidc.IDTokenVerifier
	config   oauth2.Config
	params   []oauth2.AuthCodeOption
	sessions *sessions
}

func newOIDC(ctx context.Context, o OIDCOptions, clientSecret string, s *sessions) (*oidcAuth, error) {
	if o.ClientID == "" || o.RedirectURL == "" {
		return nil, fmt.Errorf("OIDC needs --auth-oidc-client-id and --auth-oidc-redirect-url")
	}
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	p, err := oidc.NewProvider(ctx, o.IssuerURL)
	if err != nil {
		return nil, fmt.Errorf("OIDC issuer %s: %w", o.IssuerURL, err)
	}
	scopes := o.Scopes
	if len(scopes) == 0 {
		scopes = []string{oidc.ScopeOpenID, "profile", "email"}
	} else if !slices.Contains(scopes, oidc.ScopeOpenID) {
		scopes = append([]string{oidc.ScopeOpenID}, scopes...)
	}
	a := &oidcAuth{opts: o, sessions: s, verifier: p.Verifier(&oidc.Config{ClientID: o.ClientID}),
		config: oauth2.Config{ClientID: o.ClientID, ClientSecret: clientSecret, RedirectURL: o.RedirectURL, Endpoint: p.Endpoint(), Scopes: scopes}}
	for _, kv := range o.Params {
		k, v, ok := strings.Cut(kv, "=")
		if !ok {
			return nil, fmt.Errorf("--auth-oidc-param %q: want key=value", kv)
		}
		a.params = append(a.params, oauth2.SetAuthURLParam(k, v))
	}
	return a, nil
}

func (a *oidcAuth) login(w http.ResponseWriter, r *http.Request) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	state := base64.RawURLEncoding.EncodeToString(b)
	http.SetCookie(w, &http.Cookie{Name: oidcStateCookie, Value: state, Path: a.sessions.path, HttpOnly: true,
		SameSite: http.SameSiteLaxMode, Secure: secureRequest(r), MaxAge: 600})
	http.Redirect(w, r, a.config.AuthCodeURL(state, a.params...), http.StatusTemporaryRedirect)
}

// callback finishes the login: the state must match, the code is exchanged,
// the ID token verified and the user's groups give the role.
func (a *oidcAuth) callback(prefix string) http.HandlerFunc {
	fail := func(w http.ResponseWriter, r *http.Request, msg string) {
		http.Redirect(w, r, prefix+"/?login_error="+url.QueryEscape(msg), http.StatusTemporaryRedirect)
	}
	return func(w http.ResponseWriter, r *http.Request) {
		c, err := r.Cookie(oidcStateCookie)
		state := r.URL.Query().Get("state")
		if err != nil || state == "" || subtle.ConstantTimeCompare([]byte(c.Value), []byte(state)) != 1 {
			http.Error(w, "invalid state parameter", http.StatusBadRequest)
			return
		}
		http.SetCookie(w, &http.Cookie{Name: oidcStateCookie, Path: a.sessions.path, MaxAge: -1})
		if e := r.URL.Query().Get("error"); e != "" {
			fail(w, r, e+": "+r.URL.Query().Get("error_description"))
			return
		}
		ctx, cancel := context.WithTimeout(r.Context(), 30*time.Second)
		defer cancel()
		tok, err := a.config.Exchange(ctx, r.URL.Query().Get("code"))
		if err != nil {
			fail(w, r, "the code exchange failed: "+err.Error())
			return
		}
		raw, _ := tok.Extra("id_token").(string)
		if raw == "" {
			fail(w, r, "the provider sent no id_token")
			return
		}
		idt, err := a.verifier.Verify(ctx, raw)
		if err != nil {
			fail(w, r, "the ID token is not valid: "+err.Error())
			return
		}
		var claims map[string]any
		if err := idt.Claims(&claims); err != nil {
			fail(w, r, err.Error())
			return
		}
		user, admin, err := a.role(claims)
		if err != nil {
			fail(w, r, err.Error())
			return
		}
		a.sessions.start(w, r, user, admin, "oidc")
		http.Redirect(w, r, prefix+"/", http.StatusTemporaryRedirect)
	}
}

// role maps the claims to a user name and admin or viewer.
func (a *oidcAuth) role(claims map[string]any) (string, bool, error) {
	user, ok := claims[a.opts.UserClaim].(string)
	if !ok || user == "" {
		return "", false, fmt.Errorf("the ID token has no string claim %q", a.opts.UserClaim)
	}
	var groups []string
	if l, ok := claims[a.opts.GroupClaim].([]any); ok {
		for _, g := range l {
			if s, ok := g.(string); ok {
				groups = append(groups, s)
			}
		}
	}
	in := func(l []string) bool {
		for _, g := range groups {
			if slices.Contains(l, g) {
				return true
			}
		}
		return false
	}
	switch {
	case in(a.opts.AdminsGroups):
		return user, true, nil
	case in(a.opts.ViewersGroups):
		return user, false, nil
	}
	return "", false, fmt.Errorf("permission denied: %s is in none of the admin or viewer groups", user)
}
