package webui

import (
	"net/http"
	"net/http/httptest"
	"testing"
)

// guard refuses cross-origin changes, and with localOnly every request
// not addressed to localhost (DNS rebinding).
func TestGuard(t *testing.T) {
	ok := http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusNoContent) })
	for _, tc := range []struct {
		name      string
		localOnly bool
		method    string
		host      string
		headers   map[string]string
		want      int
	}{
		{name: "same-origin change", method: "POST", host: "localhost:8080", headers: map[string]string{"Sec-Fetch-Site": "same-origin"}, want: 204},
		{name: "cross-site change", method: "POST", host: "localhost:8080", headers: map[string]string{"Sec-Fetch-Site": "cross-site"}, want: 403},
		{name: "same-site (a sibling subdomain) change", method: "POST", host: "kluctl.corp.example", headers: map[string]string{"Sec-Fetch-Site": "same-site"}, want: 403},
		{name: "foreign Origin, old browser", method: "POST", host: "localhost:8080", headers: map[string]string{"Origin": "http://evil.example"}, want: 403},
		{name: "own Origin, old browser", method: "POST", host: "localhost:8080", headers: map[string]string{"Origin": "http://localhost:8080"}, want: 204},
		{name: "no browser", method: "POST", host: "kluctl.corp.example", want: 204},
		{name: "cross-site read", method: "GET", host: "kluctl.corp.example", headers: map[string]string{"Sec-Fetch-Site": "cross-site"}, want: 204},
		{name: "local: rebinding read", localOnly: true, method: "GET", host: "evil.example:8080", headers: map[string]string{"Sec-Fetch-Site": "same-origin"}, want: 403},
		{name: "local: rebinding change", localOnly: true, method: "POST", host: "evil.example:8080", headers: map[string]string{"Sec-Fetch-Site": "same-origin"}, want: 403},
		{name: "local: localhost", localOnly: true, method: "GET", host: "localhost:8080", want: 204},
		{name: "local: 127.0.0.1", localOnly: true, method: "GET", host: "127.0.0.1:8080", want: 204},
		{name: "local: [::1]", localOnly: true, method: "GET", host: "[::1]:8080", want: 204},
		{name: "local: a .localhost name", localOnly: true, method: "GET", host: "kluctl.localhost:8080", want: 204},
		{name: "local: 127.0.0.1.evil.example", localOnly: true, method: "GET", host: "127.0.0.1.evil.example", want: 403},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := httptest.NewRequest(tc.method, "http://"+tc.host+"/api/deployNow", nil)
			r.Host = tc.host
			for k, v := range tc.headers {
				r.Header.Set(k, v)
			}
			rec := httptest.NewRecorder()
			guard(ok, tc.localOnly).ServeHTTP(rec, r)
			if rec.Code != tc.want {
				t.Errorf("status %d, want %d (%s)", rec.Code, tc.want, rec.Body.String())
			}
		})
	}
}

func TestOwnURL(t *testing.T) {
	for u, want := range map[string]bool{
		"/":                                true,
		"/kluctl/#/targets":                true,
		"http://kluctl.example/kluctl/":    true,
		"https://KLUCTL.example/":          true,
		"//evil.example/":                  false,
		`/\evil.example`:                   false,
		"https://evil.example/":            false,
		"https://kluctl.example.evil.com/": false,
		"javascript:alert(1)":              false,
		"kluctl/":                          false,
	} {
		if got := ownURL(u, "kluctl.example"); got != want {
			t.Errorf("ownURL(%q) = %v, want %v", u, got, want)
		}
	}
}
