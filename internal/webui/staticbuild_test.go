package webui

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func writeFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestCheckBuildDir(t *testing.T) {
	tests := []struct {
		name string
		// setup prepares base and returns the --path to check.
		setup   func(t *testing.T, base string) string
		wantErr bool
	}{
		{name: "missing", setup: func(_ *testing.T, base string) string { return filepath.Join(base, "out") }},
		{name: "missing parent", setup: func(_ *testing.T, base string) string { return filepath.Join(base, "a", "b", "out") }},
		{name: "empty", setup: func(t *testing.T, base string) string {
			d := filepath.Join(base, "out")
			if err := os.Mkdir(d, 0o755); err != nil {
				t.Fatal(err)
			}
			return d
		}},
		{name: "earlier build", setup: func(t *testing.T, base string) string {
			d := filepath.Join(base, "out")
			writeFile(t, filepath.Join(d, "index.html"), "<html>")
			writeFile(t, filepath.Join(d, "staticdata", "summaries.js"), "const staticSummaries=[]\n")
			return d
		}},
		{name: "other folder", wantErr: true, setup: func(t *testing.T, base string) string {
			d := filepath.Join(base, "out")
			writeFile(t, filepath.Join(d, "thesis.tex"), "precious")
			return d
		}},
		{name: "staticdata without summaries.js", wantErr: true, setup: func(t *testing.T, base string) string {
			d := filepath.Join(base, "out")
			writeFile(t, filepath.Join(d, "staticdata", "other.js"), "")
			return d
		}},
		{name: "a file", wantErr: true, setup: func(t *testing.T, base string) string {
			f := filepath.Join(base, "out")
			writeFile(t, f, "precious")
			return f
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := tc.setup(t, t.TempDir())
			err := checkBuildDir(dir)
			if !tc.wantErr {
				if err != nil {
					t.Errorf("checkBuildDir(%s): %v", dir, err)
				}
				return
			}
			if err == nil {
				t.Fatalf("checkBuildDir(%s) = nil, want an error", dir)
			}
			if !strings.Contains(err.Error(), dir) {
				t.Errorf("error %q does not name %s", err, dir)
			}
		})
	}
}

func TestSafeID(t *testing.T) {
	tests := []struct {
		name string
		id   string
		want bool
	}{
		{name: "uuid", id: "3f2b8c1e-9a4d-4e7b-8c2a-1d5e6f7a8b9c", want: true},
		{name: "letters and digits", id: "AZaz09", want: true},
		{name: "64 characters", id: strings.Repeat("a", 64), want: true},
		{name: "65 characters", id: strings.Repeat("a", 65), want: false},
		{name: "empty", id: "", want: false},
		{name: "parent dir", id: "..", want: false},
		{name: "path", id: "../../etc/passwd", want: false},
		{name: "slash", id: "a/b", want: false},
		{name: "backslash", id: `a\b`, want: false},
		{name: "dot", id: "a.js", want: false},
		{name: "space", id: "a b", want: false},
		{name: "quote", id: `a"b`, want: false},
		{name: "non-ASCII letter", id: "ä", want: false},
		{name: "NUL", id: "a\x00", want: false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := safeID(tc.id); got != tc.want {
				t.Errorf("safeID(%q) = %v, want %v", tc.id, got, tc.want)
			}
		})
	}
}

func TestWriteJS(t *testing.T) {
	type value struct {
		Message string            `json:"message"`
		Labels  map[string]string `json:"labels"`
	}
	tests := []struct {
		name   string
		prefix string
		value  value
		suffix string
	}{
		{name: "script end tag", prefix: "const staticSummaries=", suffix: "\n",
			value: value{Message: "</script><script>alert(1)</script>", Labels: map[string]string{"</script>": "</SCRIPT>"}}},
		{name: "comment and CDATA", prefix: `staticResults.set("x", `, suffix: ")\n",
			value: value{Message: "<!-- ]]> & \u2028\u2029"}},
		{name: "plain", prefix: "const x=", suffix: "\n", value: value{Message: "hello"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "out.js")
			if err := writeJS(path, tc.prefix, tc.value, tc.suffix); err != nil {
				t.Fatalf("writeJS: %v", err)
			}
			b, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			s := string(b)
			if strings.Contains(strings.ToLower(s), "</script") {
				t.Errorf("writeJS output holds </script: %s", s)
			}
			if strings.Contains(s, "<!--") {
				t.Errorf("writeJS output holds <!--: %s", s)
			}
			if !strings.HasPrefix(s, tc.prefix) || !strings.HasSuffix(s, tc.suffix) {
				t.Fatalf("writeJS output %q lacks prefix %q or suffix %q", s, tc.prefix, tc.suffix)
			}
			var got value
			if err := json.Unmarshal([]byte(strings.TrimSuffix(strings.TrimPrefix(s, tc.prefix), tc.suffix)), &got); err != nil {
				t.Fatalf("the value of the writeJS output is not JSON: %v", err)
			}
			if diff := cmp.Diff(tc.value, got); diff != "" {
				t.Errorf("value read back (-want +got):\n%s", diff)
			}
		})
	}
}

func TestWriteJSError(t *testing.T) {
	path := filepath.Join(t.TempDir(), "bad.js")
	err := writeJS(path, "x=", map[string]any{"c": make(chan int)}, "\n")
	if err == nil {
		t.Fatalf("writeJS of a channel = nil, want an error")
	}
	if !strings.Contains(err.Error(), "bad.js") {
		t.Errorf("error %q does not name the file bad.js", err)
	}
	if _, statErr := os.Stat(path); statErr == nil {
		t.Errorf("writeJS wrote %s despite the error", path)
	}
}

func TestJSString(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want string
	}{
		{name: "plain", in: "abc-123", want: `"abc-123"`},
		{name: "empty", in: "", want: `""`},
		{name: "double quote", in: `a"b`, want: `"a\"b"`},
		{name: "backslash", in: `a\b`, want: `"a\\b"`},
		{name: "newline", in: "a\nb", want: `"a\nb"`},
		{name: "script tag", in: "</script>", want: `"\u003c/script\u003e"`},
		{name: "ampersand", in: "a&b", want: `"a\u0026b"`},
		{name: "line separators", in: "\u2028\u2029", want: `"\u2028\u2029"`},
		{name: "single quote", in: "it's", want: `"it's"`},
		{name: "surrounding space kept", in: " a ", want: `" a "`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := jsString(tc.in); got != tc.want {
				t.Errorf("jsString(%q) = %s, want %s", tc.in, got, tc.want)
			}
		})
	}
}
