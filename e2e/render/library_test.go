package render

import (
	"fmt"
	"strings"
	"testing"
)

// libraryFiles is a library project (below subDir) whose ConfigMap
// "<prefix>-cm" carries data, with .kluctl-library.yaml declaring args
// (nil: no .kluctl-library.yaml, a plain project).
func libraryFiles(prefix, subDir string, data map[string]string, args *string) map[string][]byte {
	p := func(s string) string {
		if subDir == "" {
			return s
		}
		return subDir + "/" + s
	}
	var cm strings.Builder
	fmt.Fprintf(&cm, "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: %s-cm\n  namespace: default\ndata:\n", prefix)
	for k, v := range data {
		fmt.Fprintf(&cm, "  %s: '%s'\n", k, v)
	}
	files := map[string][]byte{
		p("deployment.yml"): []byte("deployments:\n  - path: cm\n"),
		p("cm/cm.yml"):      []byte(cm.String()),
	}
	if args != nil {
		files[p(".kluctl-library.yaml")] = []byte(*args)
	}
	return files
}

// TestLibraryIncludePassVars follows the original's library test: a
// library sees none of the includer's vars unless passVars is set; a plain
// project (no .kluctl-library.yaml) sees them all.
func TestLibraryIncludePassVars(t *testing.T) {
	e := newIncludeEnv(t)
	empty := "args: []\n"
	for name, files := range map[string]map[string][]byte{
		"lib1": libraryFiles("lib1", "", map[string]string{"a": `{{ get_var("k1", "na") }}`}, &empty),
		"lib2": libraryFiles("lib2", "subDir", map[string]string{"a": `{{ get_var("k2", "na") }}`}, &empty),
	} {
		if _, err := e.srv.Commit(name, "main", files, name); err != nil {
			t.Fatal(err)
		}
	}
	project := func(passVars1 bool) string {
		return fmt.Sprintf(`vars:
  - values: {k1: v1, k2: v2}
deployments:
  - git: {url: %q}
    passVars: %v
  - git: {url: %q, subDir: subDir}
`, e.srv.URL("lib1"), passVars1, e.srv.URL("lib2"))
	}
	render := func(deployment string) (string, string) {
		t.Helper()
		dir := includingProject(t, "x")
		writeFile(t, dir+"/deployment.yml", deployment)
		res := renderIncluding(t, isolatedEnv(t), dir, libCreds(e)...)
		if res.Code != 0 {
			t.Fatalf("render: exit %d: %s", res.Code, res.Stderr)
		}
		objs := parseObjects(t, []byte(res.Stdout))
		return fmt.Sprint(cmData(t, objs, "default", "lib1-cm")["a"]), fmt.Sprint(cmData(t, objs, "default", "lib2-cm")["a"])
	}
	if a1, a2 := render(project(false)); a1 != "na" || a2 != "na" {
		t.Errorf("without passVars: lib1 a=%s, lib2 a=%s; want na, na", a1, a2)
	}
	if a1, a2 := render(project(true)); a1 != "v1" || a2 != "na" {
		t.Errorf("passVars on lib1: lib1 a=%s, lib2 a=%s; want v1, na", a1, a2)
	}
	// Without .kluctl-library.yaml the included project sees the vars.
	if _, err := e.srv.Commit("lib2", "main", map[string][]byte{"subDir/.kluctl-library.yaml": nil}, "no library"); err != nil {
		t.Fatal(err)
	}
	if a1, a2 := render(project(true)); a1 != "v1" || a2 != "v2" {
		t.Errorf("plain project: lib1 a=%s, lib2 a=%s; want v1, v2", a1, a2)
	}
}

// TestLibraryIncludeArgs follows the original's library test: declared
// args get their defaults, a required one must be passed in the include.
func TestLibraryIncludeArgs(t *testing.T) {
	e := newIncludeEnv(t)
	decl := "args:\n  - name: a\n    default: def\n  - name: b\n"
	if _, err := e.srv.Commit("lib1", "main", libraryFiles("lib1", "", map[string]string{
		"a": `{{ get_var("args.a", "na") }}`, "b": `{{ get_var("args.b", "na") }}`,
	}, &decl), "lib1"); err != nil {
		t.Fatal(err)
	}
	dir := includingProject(t, fmt.Sprintf("{url: %q}", e.srv.URL("lib1")))
	res := renderIncluding(t, isolatedEnv(t), dir, libCreds(e)...)
	if res.Code == 0 || !strings.Contains(res.Stderr, "required argument b not set") || !strings.Contains(res.Stderr, ".kluctl-library.yaml") {
		t.Fatalf("missing required arg: exit %d: %s", res.Code, res.Stderr)
	}
	writeFile(t, dir+"/deployment.yml", fmt.Sprintf("deployments:\n  - git: {url: %q}\n    args: {b: b}\n", e.srv.URL("lib1")))
	res = renderIncluding(t, isolatedEnv(t), dir, libCreds(e)...)
	if res.Code != 0 {
		t.Fatalf("render: exit %d: %s", res.Code, res.Stderr)
	}
	data := cmData(t, parseObjects(t, []byte(res.Stdout)), "default", "lib1-cm")
	if data["a"] != "def" || data["b"] != "b" {
		t.Errorf("library args: %v; want a=def, b=b", data)
	}
}

// libCreds are git credentials for every repository of the server.
func libCreds(e *includeEnv) []string {
	return []string{"--git-username=" + e.host + "/**=" + includeUser, "--git-password=" + e.host + "/**=" + includePassword}
}
