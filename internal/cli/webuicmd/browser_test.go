package webuicmd

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestBrowserCommand(t *testing.T) {
	bin := t.TempDir()
	for _, name := range []string{"xdg-open", "www-browser", "firefox", "open"} {
		if err := os.WriteFile(filepath.Join(bin, name), []byte("#!/bin/sh\n"), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(bin, "not-executable"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	empty := t.TempDir()
	p := func(name string) string { return filepath.Join(bin, name) }
	const url = "http://localhost:8080/"
	for _, tc := range []struct {
		name, browser, path, goos string
		want                      []string
		wantErr                   string
	}{
		{name: "xdg-open first", path: empty + ":" + bin, goos: "linux", want: []string{p("xdg-open"), url}},
		{name: "BROWSER wins", browser: "firefox", path: bin, goos: "linux", want: []string{p("firefox"), url}},
		{name: "BROWSER with arguments and %s", browser: "firefox --new-window %s", path: bin, goos: "linux", want: []string{p("firefox"), "--new-window", url}},
		{name: "BROWSER list, first found", browser: "missing:not-executable:" + p("www-browser") + " -x", path: bin, goos: "linux", want: []string{p("www-browser"), "-x", url}},
		{name: "BROWSER none found, the opener", browser: "missing", path: bin, goos: "linux", want: []string{p("xdg-open"), url}},
		{name: "macOS", path: bin, goos: "darwin", want: []string{p("open"), url}},
		{name: "nothing", path: empty, goos: "linux", wantErr: "no browser found"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			env := map[string]string{"BROWSER": tc.browser, "PATH": tc.path}
			got, err := browserCommand(func(k string) string { return env[k] }, tc.goos, url)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("error %v, want %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("command (-want +got):\n%s", diff)
			}
		})
	}
}
