package jinja2

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

// The differential test renders generated templates with this engine and
// with real Jinja2 (Debian's python3-jinja2 under /usr/bin/python3, driven
// by testdata/oracle.py, one process per batch) and compares the results.

const pythonOracle = "/usr/bin/python3"

type oracleCase struct {
	Template     string `json:"template"`
	Strict       bool   `json:"strict"`
	TrimBlocks   bool   `json:"trim_blocks"`
	LstripBlocks bool   `json:"lstrip_blocks"`
}

type oracleResult struct {
	OK   bool   `json:"ok"`
	Out  string `json:"out"`
	Kind string `json:"kind,omitempty"`
	Msg  string `json:"msg,omitempty"`
	Line int    `json:"line,omitempty"`
}

// runOracle renders all cases with real Jinja2 in one python process.
func runOracle(t *testing.T, vars map[string]any, cases []oracleCase) []oracleResult {
	t.Helper()
	if os.Getenv("KLUCTL_SKIP_PY_ORACLE") == "1" {
		t.Skip("KLUCTL_SKIP_PY_ORACLE=1: skipping the python oracle")
	}
	if err := exec.Command(pythonOracle, "-c", "import jinja2, yaml").Run(); err != nil {
		t.Fatalf("%s cannot import jinja2 and yaml (apt-get install -y python3-jinja2 python3-yaml, or set KLUCTL_SKIP_PY_ORACLE=1): %v", pythonOracle, err)
	}
	req, err := json.Marshal(map[string]any{"vars": vars, "cases": cases})
	if err != nil {
		t.Fatalf("encode oracle request: %v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, pythonOracle, "testdata/oracle.py")
	cmd.Stdin = bytes.NewReader(req)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("oracle failed: %v\n%s", err, stderr.String())
	}
	var res []oracleResult
	if err := json.Unmarshal(stdout.Bytes(), &res); err != nil {
		t.Fatalf("decode oracle response: %v", err)
	}
	if len(res) != len(cases) {
		t.Fatalf("oracle returned %d results for %d cases", len(res), len(cases))
	}
	return res
}

func diffVars(t testing.TB) map[string]any {
	var vars map[string]any
	dec := json.NewDecoder(strings.NewReader(diffVarsJSON))
	dec.UseNumber()
	if err := dec.Decode(&vars); err != nil {
		t.Fatalf("decode vars: %v", err)
	}
	return vars
}

// renderOurs renders one oracle case with this engine.
func renderOurs(envs map[[3]bool]*Environment, c oracleCase, vars map[string]any) oracleResult {
	key := [3]bool{c.Strict, c.TrimBlocks, c.LstripBlocks}
	env := envs[key]
	if env == nil {
		env, _ = NewEnvironment(Options{Strict: c.Strict, TrimBlocks: c.TrimBlocks, LstripBlocks: c.LstripBlocks, MaxSteps: 200000})
		envs[key] = env
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	t, err := env.FromString("<template>", c.Template)
	var out string
	if err == nil {
		out, err = t.Render(ctx, vars)
	}
	if err != nil {
		var te *TemplateError
		if errors.As(err, &te) {
			return oracleResult{Kind: te.Kind, Msg: te.Message, Line: te.Line}
		}
		return oracleResult{Kind: "GoError", Msg: err.Error()}
	}
	return oracleResult{OK: true, Out: out}
}

var genAddrRe = regexp.MustCompile(`(?i)0x[0-9a-f]{8,}`)

func sameResult(ours, theirs oracleResult) bool {
	if ours.OK != theirs.OK {
		return false
	}
	if ours.OK {
		// Object addresses in reprs (<generator object ... at 0x...>) differ.
		return genAddrRe.ReplaceAllString(ours.Out, "") == genAddrRe.ReplaceAllString(theirs.Out, "")
	}
	// Error messages of Python's own exceptions (TypeError, ...) are not
	// reproduced word for word; Jinja2's own errors are.
	switch theirs.Kind {
	case KindUndefined, KindSyntax, KindAssertion:
		return ours.Kind == theirs.Kind && ours.Msg == theirs.Msg && (theirs.Line == 0 || ours.Line == theirs.Line)
	}
	return ours.Kind == theirs.Kind || (ours.Kind != KindUndefined && ours.Kind != KindSyntax && ours.Kind != KindAssertion)
}

// differentialCases returns the generated templates (KLUCTL_DIFF_N and
// KLUCTL_DIFF_SEED override the count and seed, KLUCTL_DIFF_EXTRA names a
// JSON list of more templates, for exploration), the fuzz seeds and the
// regression cases.
func differentialCases() []oracleCase {
	n, seed := 600, int64(20261122)
	if v, err := strconv.Atoi(os.Getenv("KLUCTL_DIFF_N")); err == nil {
		n = v
	}
	if v, err := strconv.ParseInt(os.Getenv("KLUCTL_DIFF_SEED"), 10, 64); err == nil {
		seed = v
	}
	g := newTemplateGen(seed)
	var cases []oracleCase
	for i := 0; i < n; i++ {
		c := oracleCase{Template: g.template(), Strict: os.Getenv("KLUCTL_DIFF_LENIENT") != "1"}
		if i%7 == 3 {
			c.TrimBlocks = true
		}
		if i%11 == 5 {
			c.LstripBlocks = true
		}
		cases = append(cases, c)
	}
	for i := 0; i < n/4; i++ {
		lit := g.yamlLiteral(0)
		cases = append(cases, oracleCase{Template: "{{ " + lit + " | to_yaml }}", Strict: true})
		if i%3 == 0 {
			cases = append(cases, oracleCase{Template: "{{ (" + lit + " | to_yaml | from_yaml) == " + lit + " }}", Strict: true})
		}
	}
	for _, s := range fuzzSeeds {
		cases = append(cases, oracleCase{Template: s, Strict: true})
	}
	if path := os.Getenv("KLUCTL_DIFF_EXTRA"); path != "" {
		// Extra templates for exploration: a JSON list of strings.
		if b, err := os.ReadFile(path); err == nil {
			var extra []string
			if json.Unmarshal(b, &extra) == nil {
				for _, s := range extra {
					cases = append(cases, oracleCase{Template: s, Strict: true})
				}
			}
		}
	}
	for _, rc := range regressionCases {
		cases = append(cases, oracleCase{Template: rc.template, Strict: !rc.lenient, TrimBlocks: rc.trimBlocks, LstripBlocks: rc.lstripBlocks})
	}
	return cases
}

func TestDifferential(t *testing.T) {
	cases := differentialCases()
	vars := diffVars(t)
	theirs := runOracle(t, vars, cases)
	envs := map[[3]bool]*Environment{}
	mismatches := 0
	var dump []map[string]any
	for i, c := range cases {
		ours := renderOurs(envs, c, diffVars(t))
		if sameResult(ours, theirs[i]) {
			continue
		}
		mismatches++
		dump = append(dump, map[string]any{"case": c, "jinja2": theirs[i], "ours": ours})
		if mismatches <= 25 {
			t.Errorf("case %d differs (trim=%v lstrip=%v)\ntemplate: %q\njinja2: %+v\nours:   %+v", i, c.TrimBlocks, c.LstripBlocks, c.Template, theirs[i], ours)
		}
	}
	t.Logf("differential: %d cases, %d mismatches", len(cases), mismatches)
	if path := os.Getenv("KLUCTL_DIFF_DUMP"); path != "" && len(dump) > 0 {
		b, _ := json.MarshalIndent(dump, "", " ")
		_ = os.WriteFile(path, b, 0o644)
	}
}
