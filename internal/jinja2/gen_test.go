package jinja2

import (
	"fmt"
	"math/rand"
	"strings"
)

// templateGen generates random templates from a small Jinja2 grammar for the
// differential test. The output is deterministic for a given seed.
type templateGen struct {
	r     *rand.Rand
	depth int
	loopV []string // loop variables in scope
	sets  []string // names assigned with set
}

func newTemplateGen(seed int64) *templateGen {
	return &templateGen{r: rand.New(rand.NewSource(seed))}
}

func (g *templateGen) pick(items ...string) string { return items[g.r.Intn(len(items))] }

func (g *templateGen) chance(p float64) bool { return g.r.Float64() < p }

// diffVars are the variables every generated template sees.
const diffVarsJSON = `{
 "n": 3, "neg": -7, "f": 2.5, "big": 12345678901, "s": "Hello World", "e": "",
 "t": true, "nothing": null, "l": [3, 1, 2], "words": ["b", "A", "c", "a"],
 "d": {"b": 2, "a": 1, "c": 3},
 "users": [{"name": "ann", "age": 31, "team": "x"}, {"name": "bob", "age": 25, "team": "y"}, {"name": "cid", "age": 31, "team": "x"}],
 "nested": {"k": {"v": [1, {"w": "deep"}]}}, "text": "line one\nline two\n\nline four"
}`

func (g *templateGen) intLit() string {
	return g.pick("0", "1", "2", "3", "7", "10", "-1", "-4", "42", "100", "1_000")
}

func (g *templateGen) floatLit() string {
	return g.pick("0.5", "2.25", "1.0", "0.1", "3.14159", "1e3", "2.5e-3", "-1.5", "10.0", "0.3")
}

func (g *templateGen) strLit() string {
	return g.pick(`'abc'`, `'Hello'`, `' pad '`, `'a-b-c'`, `"x y z"`, `''`, `'42'`, `'3.5'`, `'it''s'`, `"a'b"`, `'tab\there'`, `'MiXeD cAsE'`, `'l1\nl2'`, `'%s=%d'`, `'{}-{}'`, `'well-known co-op x--y a-b-c-d supercalifragilistic end.'`, `'  lead  and\ttabs  '`)
}

func (g *templateGen) varRef() string {
	refs := []string{"n", "neg", "f", "big", "s", "e", "t", "nothing", "l", "words", "d", "users",
		"d.a", "d['b']", "users[0].name", "users[-1].age", "l[1]", "l[-1]", "s[1:4]", "s[::-1]",
		"nested.k.v[1].w", "text", "words[1:]", "l[::2]"}
	refs = append(refs, g.loopV...)
	refs = append(refs, g.sets...)
	return refs[g.r.Intn(len(refs))]
}

func (g *templateGen) atom() string {
	switch g.r.Intn(12) {
	case 0, 1:
		return g.intLit()
	case 2:
		return g.floatLit()
	case 3, 4:
		return g.strLit()
	case 5:
		return g.pick("true", "false", "none", "True", "None")
	case 6:
		if g.depth < 3 {
			g.depth++
			defer func() { g.depth-- }()
			n := g.r.Intn(4)
			var items []string
			for i := 0; i < n; i++ {
				items = append(items, g.expr())
			}
			return "[" + strings.Join(items, ", ") + "]"
		}
		return "[1, 2]"
	case 7:
		if g.depth < 3 {
			g.depth++
			defer func() { g.depth-- }()
			return fmt.Sprintf("{%s: %s, %s: %s}", g.strLit(), g.expr(), g.pick("'k'", "1", "none"), g.expr())
		}
		return "{'a': 1}"
	case 8:
		return "(" + g.atom() + ", " + g.atom() + ")"
	default:
		return g.varRef()
	}
}

var genFilters = []string{
	"upper", "lower", "title", "capitalize", "trim", "length", "count", "first", "last",
	"join(', ')", "join", "sort", "sort(reverse=true)", "reverse", "unique", "sum", "min", "max",
	"abs", "int", "float", "round", "round(1)", "round(1, 'floor')", "string", "default('dflt')",
	"d('x', true)", "replace('a', 'X')", "center(9)", "indent(2)", "indent(2, true)", "truncate(8)",
	"wordcount", "list", "batch(2)", "slice(2)", "dictsort", "items", "map('upper')",
	"select('odd')", "reject('even')", "selectattr('age', 'gt', 26)", "map(attribute='name')",
	"groupby('team')", "format(1, 2)", "pprint", "striptags", "urlencode", "filesizeformat",
	"xmlattr", "sort(attribute='age')", "unique(attribute='team')", "trim('x')",
	"int(7)", "float(1.5)", "title", "list | length", "map('string') | join('|')",
}

var genTests = []string{
	"odd", "even", "defined", "undefined", "none", "string", "number", "integer", "float",
	"mapping", "sequence", "iterable", "divisibleby 3", "divisibleby(2)", "in [1, 2, 3]",
	"eq 3", "gt 2", "le 1", "lower", "upper", "true", "false", "boolean", "callable", "sameas none",
}

var genMethods = []string{
	".upper()", ".lower()", ".split()", ".split('-')", ".startswith('a')", ".endswith('c')",
	".strip()", ".replace('l', 'L')", ".title()", ".capitalize()", ".count('l')", ".find('o')",
	".zfill(6)", ".center(8, '*')", ".rsplit(' ', 1)", ".partition(' ')", ".isdigit()",
	".get('a')", ".get('zz', 0)", ".keys() | list", ".values() | list", ".items() | list",
	".index(2)", ".ljust(6, '.')", ".swapcase()", ".format(1, 'x')", ".splitlines()",
}

// expr returns a random expression: mostly well-typed ones, sometimes an
// arbitrary mix that exercises the error paths.
func (g *templateGen) expr() string {
	if g.chance(0.08) {
		return g.wildExpr()
	}
	return g.anyExpr()
}

func (g *templateGen) deeper(f func() string, leaf func() string) string {
	if g.depth > 3 {
		return leaf()
	}
	g.depth++
	defer func() { g.depth-- }()
	return f()
}

func (g *templateGen) anyExpr() string {
	switch g.r.Intn(6) {
	case 0, 1:
		return g.numExpr()
	case 2, 3:
		return g.strExpr()
	case 4:
		return g.listExpr()
	default:
		return g.pick(g.boolExpr(), g.dictExpr())
	}
}

func (g *templateGen) numVar() string {
	v := []string{"n", "neg", "f", "big", "d.a", "d['c']", "users[0].age", "l[1]", "l[-1]", "nested.k.v[0]"}
	for _, lv := range g.loopV {
		if strings.HasPrefix(lv, "loop.index") || lv == "loop.length" || lv == "loop.revindex0" {
			v = append(v, lv)
		}
	}
	return v[g.r.Intn(len(v))]
}

func (g *templateGen) numExpr() string {
	return g.deeper(func() string {
		switch g.r.Intn(12) {
		case 0:
			return g.intLit()
		case 1:
			return g.floatLit()
		case 2, 3:
			return g.numVar()
		case 4, 5:
			op := g.pick("+", "-", "*", "/", "//", "%", "+", "*")
			r := g.numExpr()
			if op == "/" || op == "//" || op == "%" {
				r = g.pick("2", "3", "-4", "0.5", "7", "n")
			}
			return g.numExpr() + " " + op + " " + r
		case 6:
			return g.numExpr() + " ** " + g.pick("0", "1", "2", "3", "-1")
		case 7:
			return g.pick(g.strExpr()+" | length", g.listExpr()+" | length", "l | sum", "l | max", "l | min", "users | sum(attribute='age')")
		case 8:
			return g.numExpr() + " | " + g.pick("abs", "round", "round(1)", "round(2, 'ceil')", "int", "float", "string | length", "default(5)")
		case 9:
			return "-" + g.pick(g.numVar(), "("+g.numExpr()+")")
		case 10:
			return "(" + g.numExpr() + " if " + g.boolExpr() + " else " + g.numExpr() + ")"
		default:
			return g.pick("'12' | int", "'3.5' | float", "'x' | int(9)", "'0x1F' | int(0, 16)", "s.find('o')", "s.count('l')", "l.index(2)", "range(4) | sum", "words | length")
		}
	}, g.intLit)
}

func (g *templateGen) strVar() string {
	v := []string{"s", "e", "users[0].name", "nested.k.v[1].w", "text", "words[0]", "users[-1]['team']"}
	for _, lv := range g.loopV {
		if lv == "x" || lv == "item" || lv == "k" || lv == "v" || lv == "i" {
			v = append(v, lv+" | string")
		}
	}
	return v[g.r.Intn(len(v))]
}

var strFilters = []string{
	"upper", "lower", "title", "capitalize", "trim", "replace('l', 'L')", "replace('o', '0', 1)",
	"center(15)", "indent(2)", "indent(3, true)", "indent('> ', blank=true)", "truncate(9)", "truncate(10, true)",
	"wordwrap(7)", "wordwrap(5, false)", "striptags", "escape", "urlencode", "reverse", "string", "default('dflt')",
	"d('empty', true)", "trim('Hd')", "wordwrap(4)", "wordwrap(12, wrapstring='|')", "format", "title | swapcase" + "", "list | join('.')",
	"wordcount | string", "first", "last", "sha256(8)", "b64encode", "slugify",
}

var strMethodCalls = []string{
	".upper()", ".lower()", ".strip()", ".lstrip('H')", ".replace('l', 'L')", ".title()",
	".capitalize()", ".swapcase()", ".zfill(8)", ".center(11, '*')", ".ljust(8, '.')",
	".rjust(8)", ".split() | join('+')", ".split('o') | join('_')", ".rsplit(' ', 1) | first",
	".partition(' ') | join('|')", ".splitlines() | join('/')", ".removeprefix('He')",
	".expandtabs(4)", ".format(1, 'x')",
}

func (g *templateGen) strExpr() string {
	return g.deeper(func() string {
		switch g.r.Intn(14) {
		case 0, 1:
			return g.strLit()
		case 2, 3:
			return g.strVar()
		case 4:
			return g.strExpr() + " ~ " + g.anyExpr()
		case 5:
			return g.strExpr() + " + " + g.strExpr()
		case 6, 7:
			f := strFilters[g.r.Intn(len(strFilters))]
			if f == "title | swapcase" || strings.HasPrefix(f, "sha256") || f == "b64encode" || f == "slugify" {
				f = "title"
			}
			return g.strExpr() + " | " + f
		case 8:
			return g.pick(g.strLit(), g.strVar()) + strMethodCalls[g.r.Intn(len(strMethodCalls))]
		case 9:
			return g.anyExpr() + " | " + g.pick("string", "tojson", "pprint", "tojson(indent=2)", "e", "safe")
		case 10:
			return g.pick("'%s/%s' % ("+g.anyExpr()+", "+g.anyExpr()+")", "'%d|%5.2f|%-4s|%x' % ("+g.numExpr()+", "+g.numExpr()+", "+g.strExpr()+", n)", "'%(a)s=%(b)r' % {'a': "+g.anyExpr()+", 'b': "+g.anyExpr()+"}")
		case 11:
			return g.pick("'{}-{}'.format("+g.anyExpr()+", "+g.anyExpr()+")", "'{0}{0}{1!r}'.format("+g.anyExpr()+", "+g.strExpr()+")", "'{:>8}|{:<6}|{:^7.2f}|{:05d}'.format("+g.strExpr()+", "+g.strExpr()+", f, n)", "'{a}:{b}'.format(a="+g.anyExpr()+", b=n)")
		case 12:
			return g.listExpr() + " | join(" + g.pick("", "', '", "'-'") + ")"
		default:
			return g.pick(g.strVar(), g.strLit()) + "[" + g.pick("1:3", "::-1", "-2:", ":2", "0", "-1", "1::2") + "]"
		}
	}, g.strLit)
}

func (g *templateGen) listExpr() string {
	return g.deeper(func() string {
		switch g.r.Intn(13) {
		case 0, 1:
			n := g.r.Intn(4)
			var items []string
			for i := 0; i < n; i++ {
				items = append(items, g.anyExpr())
			}
			return "[" + strings.Join(items, ", ") + "]"
		case 2, 3:
			return g.pick("l", "words", "users", "nested.k.v", "[1, 2, 3, 4, 5, 6, 7]", "[3, 1, 2, 1]", "['b', 'A', 'c', 'a']")
		case 4:
			return g.listExpr() + " + " + g.listExpr()
		case 5, 6:
			return g.pick("l", "[5, 3, 8, 1]", "range(6)") + " | " + g.pick("sort", "sort(reverse=true)", "reverse | list", "unique | list", "select('odd') | list", "reject('even') | list", "select('gt', 2) | list", "map('string') | list", "batch(2) | list", "batch(3, 0) | list", "slice(2) | list", "slice(3, 'x') | list", "list", "map('abs') | list")
		case 7:
			return "words | " + g.pick("sort", "sort(case_sensitive=true)", "unique | list", "unique(case_sensitive=true) | list", "map('upper') | list", "reverse | list", "select('lower') | list", "max", "min")
		case 8:
			return "users | " + g.pick("map(attribute='name') | list", "selectattr('age', 'gt', 26) | map(attribute='name') | list", "rejectattr('team', 'eq', 'x') | list", "sort(attribute='age') | map(attribute='name') | list", "sort(attribute='age,name', reverse=true) | map(attribute='name') | list", "groupby('team') | list", "groupby('age') | map('first') | list", "unique(attribute='team') | map(attribute='name') | list", "map(attribute='missing', default='-') | list", "max(attribute='age')")
		case 9:
			return g.dictExpr() + g.pick(" | dictsort", " | dictsort(by='value')", " | dictsort(reverse=true)", " | items | list", ".items() | list", ".keys() | list", ".values() | list", " | list")
		case 10:
			return g.strExpr() + g.pick(".split()", ".split('l')", " | list", ".splitlines()")
		case 11:
			return g.pick("range(", "range(1, ", "range(10, 0, -") + g.pick("3", "4", "5") + ") | list"
		default:
			return g.pick("l", "words", "[1, 2, 3, 4, 5]", "'abcdef'") + "[" + g.pick("1:", ":-1", "::2", "::-1", "1:3") + "]"
		}
	}, func() string { return "[1, 2]" })
}

func (g *templateGen) dictExpr() string {
	return g.deeper(func() string {
		switch g.r.Intn(4) {
		case 0:
			return g.pick("d", "users[0]", "nested", "nested.k")
		case 1:
			return "{" + g.strLit() + ": " + g.anyExpr() + ", 'z': " + g.anyExpr() + ", 1: none}"
		case 2:
			return "dict(" + g.pick("a", "b", "zz") + "=" + g.anyExpr() + ", y=" + g.numExpr() + ")"
		default:
			return "{'b': " + g.numExpr() + ", 'a': [" + g.anyExpr() + "], 'c': {'k': " + g.strExpr() + "}}"
		}
	}, func() string { return "{'a': 1}" })
}

func (g *templateGen) boolExpr() string {
	return g.deeper(func() string {
		switch g.r.Intn(10) {
		case 0:
			return g.pick("true", "false", "t", "not t", "nothing is none", "missing is defined", "missing is undefined")
		case 1, 2:
			return g.numExpr() + " " + g.pick("==", "!=", "<", ">", "<=", ">=") + " " + g.numExpr()
		case 3:
			return g.strExpr() + " " + g.pick("==", "!=", "<", ">=", "in", "not in") + " " + g.strExpr()
		case 4:
			return g.anyExpr() + " " + g.pick("in", "not in") + " " + g.listExpr()
		case 5:
			return g.pick("not ", "") + "(" + g.boolExpr() + ") " + g.pick("and", "or") + " " + g.boolExpr()
		case 6, 7:
			return g.anyExpr() + " is " + g.pick("", "not ") + genTests[g.r.Intn(len(genTests))]
		case 8:
			return g.numExpr() + " < " + g.numExpr() + " < " + g.numExpr()
		default:
			return g.anyExpr() + g.pick(" and ", " or ") + g.anyExpr()
		}
	}, func() string { return "true" })
}

// wildExpr mixes anything with anything; most results are errors.
func (g *templateGen) wildExpr() string {
	if g.depth > 4 {
		return g.atom()
	}
	g.depth++
	defer func() { g.depth-- }()
	switch g.r.Intn(8) {
	case 0, 1:
		return g.atom()
	case 2, 3:
		op := g.pick("+", "-", "*", "/", "//", "%", "**", "~")
		if op == "**" {
			return g.wildExpr() + " ** " + g.intLit()
		}
		return g.wildExpr() + " " + op + " " + g.wildExpr()
	case 4:
		return g.wildExpr() + " " + g.pick("==", "<", "in", "not in") + " " + g.wildExpr()
	case 5:
		return g.wildExpr() + " | " + genFilters[g.r.Intn(len(genFilters))]
	case 6:
		return g.atom() + " is " + genTests[g.r.Intn(len(genTests))]
	default:
		return g.atom() + genMethods[g.r.Intn(len(genMethods))]
	}
}

func (g *templateGen) ws() string {
	return g.pick("", "", "", " ", "\n", "  ", "\n  ", " \n", "\t")
}

func (g *templateGen) text() string {
	return g.pick("", "a", "b ", " x\n", "\n", "key: ", "  - item\n", "{ not a tag }", "end.", "<p>", "#")
}

func (g *templateGen) tagOpen() string  { return "{%" + g.pick("", "", "", "-", "+") + " " }
func (g *templateGen) tagClose() string { return " " + g.pick("", "", "", "-", "+") + "%}" }
func (g *templateGen) varOpen() string  { return "{{" + g.pick("", "", "", "-") + " " }
func (g *templateGen) varClose() string { return " " + g.pick("", "", "", "-") + "}}" }

func (g *templateGen) tag(body string) string { return g.tagOpen() + body + g.tagClose() }

func (g *templateGen) block(n int) string {
	var b strings.Builder
	for i := 0; i < n; i++ {
		b.WriteString(g.text())
		b.WriteString(g.ws())
		b.WriteString(g.stmt())
		b.WriteString(g.ws())
	}
	return b.String()
}

func (g *templateGen) stmt() string {
	if g.depth > 3 {
		return g.varOpen() + g.expr() + g.varClose()
	}
	g.depth++
	defer func() { g.depth-- }()
	switch g.r.Intn(16) {
	case 0, 1, 2, 3, 4:
		return g.varOpen() + g.expr() + g.varClose()
	case 5, 6:
		s := g.tag("if "+g.expr()) + g.block(1)
		if g.chance(0.4) {
			s += g.tag("elif "+g.expr()) + g.block(1)
		}
		if g.chance(0.5) {
			s += g.tag("else") + g.block(1)
		}
		return s + g.tag("endif")
	case 7, 8:
		v := g.pick("x", "item", "k, v", "i")
		it := g.pick("l", "words", "users", "range(3)", "d", "d.items()", "s", "[]", "text.split('\\n')", "[(1, 2), (3, 4)]", "nested.k.v")
		head := "for " + v + " in " + it
		if g.chance(0.3) {
			head += " if " + g.pick("loop is defined", "true", "x", "i")
		}
		old := g.loopV
		g.loopV = append(append([]string(nil), g.loopV...), strings.Split(strings.ReplaceAll(v, " ", ""), ",")...)
		g.loopV = append(g.loopV, "loop.index", "loop.first", "loop.last", "loop.length", "loop.revindex0", "loop.cycle('a', 'b')")
		body := g.block(1 + g.r.Intn(2))
		if g.chance(0.15) {
			body += g.tag("if loop.index > 1") + g.tag(g.pick("break", "continue")) + g.tag("endif")
		}
		g.loopV = old
		s := g.tag(head) + body
		if g.chance(0.3) {
			s += g.tag("else") + g.block(1)
		}
		return s + g.tag("endfor")
	case 9:
		name := g.pick("a", "b", "acc")
		s := g.tag("set " + name + " = " + g.expr())
		g.sets = append(g.sets, name)
		return s
	case 10:
		name := g.pick("blk", "cap")
		s := g.tag("set "+name+g.pick("", " | upper", " | trim", " | replace('a', '@')")) + g.block(1) + g.tag("endset")
		g.sets = append(g.sets, name)
		return s
	case 11:
		m := g.tag("macro m(p, q=2)") + g.pick("[{{ p }}|{{ q }}]", "{{ p ~ q }}", "{{ caller() if caller is defined else 'nc' }}", "{{ varargs | list }}{{ kwargs }}") + g.tag("endmacro")
		return m + g.varOpen() + g.pick("m(1)", "m('a', q=none)", "m(n, 3, 4)", "m(p=5)", "m(1, z=2)") + g.varClose()
	case 12:
		return g.tag("macro w(x)") + "<{{ caller(x) }}>" + g.tag("endmacro") + g.tag("call(y) w("+g.atom()+")") + g.block(1) + "{{ y }}" + g.tag("endcall")
	case 13:
		return g.tag("filter "+g.pick("upper", "trim", "title", "replace(' ', '_')", "indent(2)")) + g.block(1) + g.tag("endfilter")
	case 14:
		return g.tag("with w = "+g.expr()) + "{{ w }}" + g.block(1) + g.tag("endwith")
	default:
		return g.pick("{# comment #}", "{#- trim -#}", "{% raw %}{{ raw }}{% endraw %}", "{{ '{{' }}", "{%- raw -%} x {%- endraw %}")
	}
}

// template returns one generated template.
func (g *templateGen) template() string {
	g.loopV, g.sets = nil, nil
	s := g.block(1+g.r.Intn(3)) + g.text()
	if !strings.Contains(s, "{") {
		s += "{{ n }}"
	}
	return s
}

// yamlStrings are scalars that exercise PyYAML's quoting and styles.
var yamlStrings = []string{
	``, `a`, `yes`, `No`, `null`, `~`, `1`, `1.5`, `1e3`, `0x10`, `010`, `-`, `- a`, `a: b`,
	`a:b`, `a #b`, `#x`, ` lead`, `trail `, `multi\nline`, `multi\nline\n`, `\nlead`, `tab\tin`,
	`it's`, `say \"hi\"`, `ü`, `@at`, `%p`, `!bang`, `&amp`, `*star`, `|pipe`, `>gt`, `[br]`,
	`{cu}`, `a,b`, `a?`, `? q`, `key:`, `2020-01-01`, `12:30:00`, `.inf`, `true`, `Off`, `y`,
	`<<`, `word word word word word word word word word word word word word word word word word word end`,
	`a\n\nb`, `x\n `, `ends with space \nnext`, `---`, `x\u2028y`, `1_000`, `+1`, `0o17`,
}

// yamlLiteral returns a random Jinja literal of nested dicts, lists and
// scalars for the to_yaml differential cases.
func (g *templateGen) yamlLiteral(depth int) string {
	r := g.r.Float64()
	switch {
	case depth < 3 && r < 0.25:
		n := g.r.Intn(4)
		seen := map[string]bool{}
		var items []string
		for i := 0; i < n; i++ {
			k := yamlStrings[g.r.Intn(len(yamlStrings))]
			if seen[k] {
				continue
			}
			seen[k] = true
			items = append(items, `"`+k+`": `+g.yamlLiteral(depth+1))
		}
		return "{" + strings.Join(items, ", ") + "}"
	case depth < 3 && r < 0.45:
		n := g.r.Intn(4)
		var items []string
		for i := 0; i < n; i++ {
			items = append(items, g.yamlLiteral(depth+1))
		}
		return "[" + strings.Join(items, ", ") + "]"
	case r < 0.55:
		return g.pick("0", "1", "-5", "3.5", "1e20", "2.0", "-0.0", "true", "false", "none", "12345678901234567890", "1e-7")
	}
	return `"` + yamlStrings[g.r.Intn(len(yamlStrings))] + `"`
}
