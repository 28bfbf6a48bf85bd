package webui

import (
	"crypto/tls"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

var testEpoch = time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC)

func newTestSessions(key string) (*sessions, *fakeClock) {
	clock := &fakeClock{t: testEpoch}
	return &sessions{key: []byte(key), ttl: time.Hour, path: "/kluctl/", now: clock.now, secure: secureRequest}, clock
}

// sessionCookieOf returns the session cookie a response sets, or nil.
func sessionCookieOf(t *testing.T, resp *http.Response) *http.Cookie {
	t.Helper()
	var found *http.Cookie
	for _, c := range resp.Cookies() {
		if c.Name == sessionCookie {
			if found != nil {
				t.Fatalf("response sets %s twice", sessionCookie)
			}
			found = c
		}
	}
	return found
}

func TestSessionRoundTrip(t *testing.T) {
	s, _ := newTestSessions("k1")
	tests := []struct {
		name string
		in   session
	}{
		{name: "static admin", in: session{User: "admin", Admin: true, Kind: "static", Issued: testEpoch.Unix(), Expires: testEpoch.Add(time.Hour).Unix()}},
		{name: "oidc viewer", in: session{User: "jane@example.com", Admin: false, Kind: "oidc", Issued: testEpoch.Unix(), Expires: testEpoch.Add(time.Second).Unix()}},
		{name: "user with separators", in: session{User: `a.b="c";d`, Kind: "oidc", Issued: 1, Expires: testEpoch.Add(time.Minute).Unix()}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			v := s.encode(tc.in)
			got, ok := s.decode(v)
			if !ok {
				t.Fatalf("decode(encode(%+v)) failed", tc.in)
			}
			if diff := cmp.Diff(tc.in, got); diff != "" {
				t.Errorf("decode(encode()) (-want +got):\n%s", diff)
			}
			// The value must be usable as a cookie value as it is.
			if strings.ContainsAny(v, " ;,\"\\") {
				t.Errorf("encoded session %q holds characters not allowed in a cookie value", v)
			}
		})
	}
}

func TestSessionDecodeRejects(t *testing.T) {
	s, _ := newTestSessions("k1")
	other, _ := newTestSessions("k2")
	valid := session{User: "admin", Admin: false, Kind: "static", Issued: testEpoch.Unix(), Expires: testEpoch.Add(time.Hour).Unix()}
	good := s.encode(valid)
	payload, sig, _ := strings.Cut(good, ".")

	// A payload that claims admin, with the signature of the viewer one.
	adminJSON, _ := json.Marshal(session{User: "admin", Admin: true, Kind: "static", Issued: valid.Issued, Expires: valid.Expires})
	forgedPayload := base64.RawURLEncoding.EncodeToString(adminJSON)
	// A viewer session whose expiry is pushed a year out.
	longJSON, _ := json.Marshal(session{User: valid.User, Kind: valid.Kind, Issued: valid.Issued, Expires: testEpoch.AddDate(1, 0, 0).Unix()})
	extendedPayload := base64.RawURLEncoding.EncodeToString(longJSON)
	// A flipped signature byte.
	sigBytes, _ := base64.RawURLEncoding.DecodeString(sig)
	sigBytes[0] ^= 1
	flippedSig := base64.RawURLEncoding.EncodeToString(sigBytes)
	// Validly signed but not a session.
	signedGarbage := "bm90IGpzb24" + "." + base64.RawURLEncoding.EncodeToString(s.mac("bm90IGpzb24"))
	noUserPayload := base64.RawURLEncoding.EncodeToString([]byte(`{"a":true,"x":99999999999}`))
	signedNoUser := noUserPayload + "." + base64.RawURLEncoding.EncodeToString(s.mac(noUserPayload))

	tests := []struct {
		name  string
		value string
		at    time.Time
	}{
		{name: "tampered payload", value: forgedPayload + "." + sig, at: testEpoch},
		{name: "tampered expiry", value: extendedPayload + "." + sig, at: testEpoch},
		{name: "tampered signature", value: payload + "." + flippedSig, at: testEpoch},
		{name: "signature of another key", value: other.encode(valid), at: testEpoch},
		{name: "expired", value: good, at: testEpoch.Add(time.Hour)},
		{name: "long expired", value: good, at: testEpoch.Add(48 * time.Hour)},
		{name: "no signature", value: payload, at: testEpoch},
		{name: "empty signature", value: payload + ".", at: testEpoch},
		{name: "signature not base64", value: payload + ".!!!", at: testEpoch},
		{name: "empty", value: "", at: testEpoch},
		{name: "garbage", value: "garbage.garbage", at: testEpoch},
		{name: "signed garbage", value: signedGarbage, at: testEpoch},
		{name: "signed session without user", value: signedNoUser, at: testEpoch},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s.now = func() time.Time { return tc.at }
			if got, ok := s.decode(tc.value); ok {
				t.Errorf("decode(%q) = %+v, true; want it rejected", tc.value, got)
			}
		})
	}
	// The untampered value is accepted just before it expires, so the cases
	// above fail for what they change.
	s.now = func() time.Time { return testEpoch.Add(time.Hour - time.Second) }
	if _, ok := s.decode(good); !ok {
		t.Errorf("decode of the untampered session failed")
	}
}

func TestSessionGetRenews(t *testing.T) {
	tests := []struct {
		name        string
		after       time.Duration
		wantRenewal bool
	}{
		{name: "fresh session", after: 0, wantRenewal: false},
		{name: "at refreshAfter", after: refreshAfter, wantRenewal: false},
		{name: "just after refreshAfter", after: refreshAfter + time.Second, wantRenewal: true},
		{name: "half the TTL later", after: 30 * time.Minute, wantRenewal: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s, clock := newTestSessions("k")
			rec := httptest.NewRecorder()
			s.start(rec, httptest.NewRequest("POST", "/kluctl/auth/staticLogin", nil), "viewer", false, "static")
			first := sessionCookieOf(t, rec.Result())
			if first == nil {
				t.Fatalf("start set no %s cookie", sessionCookie)
			}

			clock.advance(tc.after)
			req := httptest.NewRequest("GET", "/kluctl/api/events", nil)
			req.AddCookie(&http.Cookie{Name: sessionCookie, Value: first.Value})
			rec = httptest.NewRecorder()
			got, ok := s.get(rec, req)
			if !ok {
				t.Fatalf("get rejected the session %v after its start", tc.after)
			}
			renewed := sessionCookieOf(t, rec.Result())
			if (renewed != nil) != tc.wantRenewal {
				t.Fatalf("get %v after the start set a cookie = %v, want %v", tc.after, renewed != nil, tc.wantRenewal)
			}
			want := session{User: "viewer", Kind: "static", Issued: testEpoch.Unix(), Expires: testEpoch.Add(time.Hour).Unix(), Login: testEpoch.Unix()}
			if tc.wantRenewal {
				now := testEpoch.Add(tc.after)
				want.Issued, want.Expires = now.Unix(), now.Add(time.Hour).Unix()
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("get session (-want +got):\n%s", diff)
			}
			if !tc.wantRenewal {
				return
			}
			if !renewed.Expires.After(first.Expires) {
				t.Errorf("renewed cookie expires %v, want later than %v", renewed.Expires, first.Expires)
			}
			dec, ok := s.decode(renewed.Value)
			if !ok {
				t.Fatalf("the renewed cookie does not decode")
			}
			if diff := cmp.Diff(want, dec); diff != "" {
				t.Errorf("renewed cookie session (-want +got):\n%s", diff)
			}
			// The renewed session outlives the first one.
			clock.t = time.Unix(first.Expires.Unix(), 0)
			if _, ok := s.decode(first.Value); ok {
				t.Errorf("the first session is still valid at its expiry")
			}
			if _, ok := s.decode(renewed.Value); !ok {
				t.Errorf("the renewed session is not valid at the first one's expiry")
			}
		})
	}
}

func TestSessionGetWithoutWriter(t *testing.T) {
	s, clock := newTestSessions("k")
	v := s.encode(session{User: "admin", Admin: true, Kind: "static", Issued: testEpoch.Unix(), Expires: testEpoch.Add(time.Hour).Unix()})
	clock.advance(time.Minute)
	req := httptest.NewRequest("GET", "/", nil)
	req.AddCookie(&http.Cookie{Name: sessionCookie, Value: v})
	got, ok := s.get(nil, req)
	if !ok {
		t.Fatalf("get(nil writer) rejected a valid session")
	}
	if got.Issued != testEpoch.Unix() {
		t.Errorf("get(nil writer) renewed the session (issued %d, want %d)", got.Issued, testEpoch.Unix())
	}
	if _, ok := s.get(nil, httptest.NewRequest("GET", "/", nil)); ok {
		t.Errorf("get without a cookie succeeded")
	}
}

func TestSessionCookieAttributes(t *testing.T) {
	tests := []struct {
		name       string
		tls        bool
		header     string
		wantSecure bool
	}{
		{name: "plain http", wantSecure: false},
		{name: "X-Forwarded-Proto https", header: "https", wantSecure: true},
		{name: "X-Forwarded-Proto HTTPS", header: "HTTPS", wantSecure: true},
		{name: "X-Forwarded-Proto http", header: "http", wantSecure: false},
		{name: "TLS", tls: true, wantSecure: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s, _ := newTestSessions("k")
			newReq := func() *http.Request {
				r := httptest.NewRequest("GET", "/kluctl/auth/x", nil)
				if tc.header != "" {
					r.Header.Set("X-Forwarded-Proto", tc.header)
				}
				if tc.tls {
					r.TLS = &tls.ConnectionState{}
				}
				return r
			}
			for _, step := range []struct {
				name string
				do   func(http.ResponseWriter, *http.Request)
			}{
				{name: "start", do: func(w http.ResponseWriter, r *http.Request) { s.start(w, r, "admin", true, "static") }},
				{name: "clear", do: s.clear},
			} {
				rec := httptest.NewRecorder()
				step.do(rec, newReq())
				c := sessionCookieOf(t, rec.Result())
				if c == nil {
					t.Fatalf("%s set no %s cookie", step.name, sessionCookie)
				}
				type attrs struct {
					Path     string
					HttpOnly bool
					SameSite http.SameSite
					Secure   bool
				}
				want := attrs{Path: "/kluctl/", HttpOnly: true, SameSite: http.SameSiteLaxMode, Secure: tc.wantSecure}
				got := attrs{Path: c.Path, HttpOnly: c.HttpOnly, SameSite: c.SameSite, Secure: c.Secure}
				if diff := cmp.Diff(want, got); diff != "" {
					t.Errorf("%s cookie attributes (-want +got):\n%s", step.name, diff)
				}
				switch step.name {
				case "start":
					if want := testEpoch.Add(time.Hour); !c.Expires.Equal(want) {
						t.Errorf("start cookie expires %v, want %v", c.Expires, want)
					}
				case "clear":
					if c.Value != "" || c.MaxAge >= 0 {
						t.Errorf("clear cookie value %q max-age %d, want empty and negative", c.Value, c.MaxAge)
					}
				}
			}
		})
	}
}

const (
	testAdminPassword  = "admin-pw-123"
	testViewerPassword = "viewer-pw-456"
)

// Renewals keep a login alive for maxSessionAge at most; a cookie from
// before logins were dated starts that clock at its next renewal.
func TestSessionMaxAge(t *testing.T) {
	s, clock := newTestSessions("k")
	rec := httptest.NewRecorder()
	s.start(rec, httptest.NewRequest("POST", "/kluctl/auth/staticLogin", nil), "admin", true, "static")
	cookie := sessionCookieOf(t, rec.Result()).Value
	renew := func() bool {
		req := httptest.NewRequest("GET", "/kluctl/auth/user", nil)
		req.AddCookie(&http.Cookie{Name: sessionCookie, Value: cookie})
		rec := httptest.NewRecorder()
		_, ok := s.get(rec, req)
		if c := sessionCookieOf(t, rec.Result()); c != nil {
			cookie = c.Value
		}
		return ok
	}
	for elapsed := time.Duration(0); elapsed < maxSessionAge; elapsed += 30 * time.Minute {
		if !renew() {
			t.Fatalf("a session renewed every 30 minutes ended after %v", elapsed)
		}
		clock.advance(30 * time.Minute)
	}
	if renew() {
		t.Fatalf("the session outlived maxSessionAge (%v)", maxSessionAge)
	}

	// An undated cookie: valid, and dated by its next renewal.
	old := s.encode(session{User: "viewer", Kind: "static", Issued: clock.t.Unix(), Expires: clock.t.Add(time.Hour).Unix()})
	cookie = old
	clock.advance(time.Minute)
	if !renew() || cookie == old {
		t.Fatal("an undated session was not renewed")
	}
	if v, _ := s.decode(cookie); v.Login == 0 {
		t.Errorf("the renewal did not date the login: %+v", v)
	}
}
