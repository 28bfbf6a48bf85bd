package project

import (
	"net/url"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestSafeHTTPURL(t *testing.T) {
	for in, want := range map[string]string{
		"https://example.com/vars.yaml":               "https://example.com/vars.yaml",
		"https://u:pw@example.com/vars.yaml":          "https://u:xxxxx@example.com/vars.yaml",
		"https://example.com/vars.yaml?token=s3cr3t":  "https://example.com/vars.yaml?xxxxx",
		"https://u@example.com/vars.yaml#frag":        "https://u@example.com/vars.yaml#frag",
		"https://u:pw@example.com/v?access_key=k&x=1": "https://u:xxxxx@example.com/v?xxxxx",
	} {
		if got := safeHTTPURL(in); got != want {
			t.Errorf("safeHTTPURL(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestMarkHTTPSecrets(t *testing.T) {
	for _, tc := range []struct {
		name      string
		url       string
		headers   map[string]string
		sensitive bool
		want      []string
	}{
		{"no credentials", "https://example.com/v", map[string]string{"Accept": "application/json"}, false, []string{}},
		{"basic auth header", "https://example.com/v", map[string]string{"Authorization": "Basic dTpwdw==", "Accept": "text/plain"}, true, []string{"Basic dTpwdw==", "dTpwdw=="}},
		{"token header", "https://example.com/v", map[string]string{"X-Api-Key": "k3y-value"}, true, []string{"k3y-value"}},
		{"password in url", "https://u:pw-in-url@example.com/v", nil, true, []string{"pw-in-url"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			u, err := url.Parse(tc.url)
			if err != nil {
				t.Fatal(err)
			}
			vars := NewVars()
			if got := markHTTPSecrets(vars, u, tc.headers); got != tc.sensitive {
				t.Errorf("sensitive = %v, want %v", got, tc.sensitive)
			}
			if diff := cmp.Diff(tc.want, vars.SensitiveValues()); diff != "" {
				t.Errorf("sensitive values (-want +got):\n%s", diff)
			}
		})
	}
}

func TestHTTPSourceFields(t *testing.T) {
	var cfg DeploymentConfig
	src := "vars:\n  - http: {url: 'https://e.com/v', method: POST, body: b, headers: {A: b}, jsonPath: '$.x'}\n"
	if err := decodeStrict("deployment.yml", []byte(src), &cfg); err != nil {
		t.Fatal(err)
	}
	post, body, path := "POST", "b", "$.x"
	want := &HTTPVarsSource{URL: "https://e.com/v", Method: &post, Body: &body, Headers: map[string]string{"A": "b"}, JSONPath: &path}
	if diff := cmp.Diff(want, cfg.Vars[0].HTTP); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}
