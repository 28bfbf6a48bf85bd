package chartpull

import (
	"reflect"
	"testing"
)

func TestHelmCredentialsFor(t *testing.T) {
	cs := HelmCredentials{
		{CredentialsID: "legacy", Username: "id"},
		{Host: "charts.example.com", Path: "private/*", Username: "private"},
		{Host: "charts.example.com:8443", Username: "port"},
		{Host: "charts.example.com", Username: "host"},
	}
	if err := cs.Compile(); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ url, id, want string }{
		{"https://charts.example.com/private/stable", "", "private"},
		{"https://charts.example.com/private/a/b", "", "host"},
		{"https://charts.example.com:8443/x", "", "port"},
		{"https://charts.example.com/public", "", "host"},
		{"https://other.example.com/private/stable", "", ""},
		{"https://charts.example.com/private/stable", "legacy", "id"},
		{"https://charts.example.com/private/stable", "unknown", ""},
	} {
		got := ""
		if c := cs.For(tc.url, tc.id); c != nil {
			got = c.Username
		}
		if got != tc.want {
			t.Errorf("For(%s, %q) = %q, want %q", tc.url, tc.id, got, tc.want)
		}
	}
}

func TestRegistryCredentialsFor(t *testing.T) {
	cs := RegistryCredentials{{Host: "127.0.0.1:5000", Repository: "charts/*", Username: "a"}, {Host: "ghcr.io", Username: "b"}}
	if err := cs.Compile(); err != nil {
		t.Fatal(err)
	}
	for url, want := range map[string]string{
		"oci://127.0.0.1:5000/charts/demo":     "a",
		"oci://127.0.0.1:5000/charts/sub/demo": "",
		"oci://ghcr.io/org/chart":              "b",
		"oci://docker.io/org/chart":            "",
	} {
		got := ""
		if c := cs.For(url); c != nil {
			got = c.Username
		}
		if got != want {
			t.Errorf("For(%s) = %q, want %q", url, got, want)
		}
	}
}

func TestNearestVersions(t *testing.T) {
	got := nearest([]string{"2.0.0", "1.0.0", "1.1.0", "1.0.1", "0.9.0", "latest"}, "1.0.5", 3)
	if want := []string{"1.0.1", "1.0.0", "1.1.0"}; !reflect.DeepEqual(got, want) {
		t.Errorf("nearest = %v, want %v", got, want)
	}
}
