package jinja2

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// sharedDir locates the shared folder next to the repository root: the
// KLUCTL_SHARED_DIR env var, or ../shared relative to the folder holding
// go.mod.
func sharedDir(t testing.TB) string {
	t.Helper()
	if d := os.Getenv("KLUCTL_SHARED_DIR"); d != "" {
		return d
	}
	dir, err := os.Getwd()
	if err != nil {
		t.Fatalf("getwd: %v", err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return filepath.Join(filepath.Dir(dir), "shared")
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatalf("no go.mod found above the package folder")
		}
		dir = parent
	}
}

func corpusDir(t testing.TB) string {
	t.Helper()
	d := filepath.Join(sharedDir(t), "jinja2-conformance")
	if _, err := os.Stat(filepath.Join(d, "cases.json")); err != nil {
		t.Fatalf("conformance corpus missing at %s: %v", d, err)
	}
	return d
}

type conformanceCase struct {
	ID           string `json:"id"`
	Construct    string `json:"construct"`
	Template     string `json:"template"`
	Strict       bool   `json:"strict"`
	TrimBlocks   bool   `json:"trim_blocks"`
	LstripBlocks bool   `json:"lstrip_blocks"`
}

type conformanceExpected struct {
	OK  bool   `json:"ok"`
	Out string `json:"out"`
	Err string `json:"err"`
}

func readJSON(t testing.TB, path string, v any) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("read %s: %v", path, err)
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	if err := dec.Decode(v); err != nil {
		t.Fatalf("decode %s: %v", path, err)
	}
}

func loadVars(t testing.TB, dir string) map[string]any {
	var vars map[string]any
	readJSON(t, filepath.Join(dir, "vars.json"), &vars)
	return vars
}

var tracebackRe = regexp.MustCompile(`File "([^"]+)", line (\d+)`)

// parseTraceback extracts file, line, kind and message from a Kluctl-style
// Jinja2 traceback.
func parseTraceback(s string) (file string, line int, kind, msg string) {
	if m := tracebackRe.FindStringSubmatch(s); m != nil {
		file = m[1]
		line, _ = strconv.Atoi(m[2])
	}
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	last := lines[len(lines)-1]
	if i := strings.Index(last, ": "); i >= 0 {
		kind, msg = last[:i], last[i+2:]
	}
	return
}

func TestConformance(t *testing.T) {
	dir := corpusDir(t)
	var cases []conformanceCase
	var expected map[string]conformanceExpected
	readJSON(t, filepath.Join(dir, "cases.json"), &cases)
	readJSON(t, filepath.Join(dir, "expected.json"), &expected)
	vars := loadVars(t, dir)
	envs := map[[3]bool]*Environment{}
	passed := 0
	var failed []string
	for _, c := range cases {
		key := [3]bool{c.Strict, c.TrimBlocks, c.LstripBlocks}
		env := envs[key]
		if env == nil {
			var err error
			env, err = NewEnvironment(Options{
				Strict: c.Strict, TrimBlocks: c.TrimBlocks, LstripBlocks: c.LstripBlocks,
				SearchPath: []string{filepath.Join(dir, "root"), filepath.Join(dir, "lib")},
			})
			if err != nil {
				t.Fatalf("new environment: %v", err)
			}
			envs[key] = env
		}
		want, ok := expected[c.ID]
		if !ok {
			t.Fatalf("case %s has no expectation", c.ID)
		}
		ok = t.Run(c.ID, func(t *testing.T) {
			got, err := renderCase(env, c, vars)
			if want.OK {
				if err != nil {
					t.Fatalf("%s (%s): unexpected error:\n%v", c.ID, c.Construct, err)
				}
				if got != want.Out {
					t.Fatalf("%s (%s): output mismatch\ntemplate: %q\nwant: %q\ngot:  %q", c.ID, c.Construct, c.Template, want.Out, got)
				}
				return
			}
			if err == nil {
				t.Fatalf("%s (%s): want error %q, got output %q", c.ID, c.Construct, want.Err, got)
			}
			var te *TemplateError
			if !errors.As(err, &te) {
				t.Fatalf("%s: error is not a *TemplateError: %v", c.ID, err)
			}
			wFile, wLine, wKind, wMsg := parseTraceback(want.Err)
			gotFile, _ := filepath.Rel(dir, te.Filename)
			if gotFile != wFile || te.Line != wLine || te.Kind != wKind || te.Message != wMsg {
				t.Fatalf("%s: error mismatch\nwant: %s:%d %s: %s\ngot:  %s:%d %s: %s\nfull:\n%v",
					c.ID, wFile, wLine, wKind, wMsg, gotFile, te.Line, te.Kind, te.Message, err)
			}
		})
		if ok {
			passed++
		} else {
			failed = append(failed, c.ID)
		}
	}
	t.Logf("conformance: %d/%d passed", passed, len(cases))
	if len(failed) > 0 {
		t.Errorf("failing cases: %s", strings.Join(failed, ", "))
	}
}

func renderCase(env *Environment, c conformanceCase, vars map[string]any) (string, error) {
	if !strings.Contains(c.Template, "{") {
		return c.Template, nil
	}
	tmpl, err := env.GetTemplate(c.ID + ".j2")
	if err != nil {
		return "", err
	}
	return tmpl.Render(context.Background(), vars)
}
