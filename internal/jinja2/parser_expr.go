package jinja2

import (
	"fmt"
	"strings"
)

type parser struct {
	toks     []token
	i        int
	env      *Environment
	tagStack []string
	endStack [][]string
	soft     int // inside an if statement or inline if: unknown filters fail at runtime
	unknown  []error
	blocks   map[string]*blockStmt
	extends  bool
}

func (p *parser) cur() *token { return &p.toks[p.i] }

func (p *parser) look() *token {
	if p.i+1 < len(p.toks) {
		return &p.toks[p.i+1]
	}
	return &p.toks[len(p.toks)-1]
}

func (p *parser) next() *token {
	t := &p.toks[p.i]
	if t.kind != tEOF {
		p.i++
	}
	return t
}

func (p *parser) isName(val string) bool {
	t := p.cur()
	return t.kind == tName && t.val == val
}

func (p *parser) isOp(val string) bool {
	t := p.cur()
	return t.kind == tOp && t.val == val
}

func (p *parser) skipName(val string) bool {
	if p.isName(val) {
		p.next()
		return true
	}
	return false
}

func (p *parser) skipOp(val string) bool {
	if p.isOp(val) {
		p.next()
		return true
	}
	return false
}

func (p *parser) fail(msg string, line int) error { return syntaxError(msg, line) }

var tokKindDesc = map[tokKind]string{
	tData:       "template data / text",
	tVarBegin:   "begin of print statement",
	tVarEnd:     "end of print statement",
	tBlockBegin: "begin of statement block",
	tBlockEnd:   "end of statement block",
	tString:     "string",
	tInt:        "integer",
	tFloat:      "float",
	tEOF:        "end of template",
	tName:       "name",
}

func describeToken(t *token) string {
	if t.kind == tName || t.kind == tOp {
		return t.val
	}
	return tokKindDesc[t.kind]
}

// describeExpr describes an expected token such as "name:endfor" or
// "block_end" the way Jinja2 does in error messages.
func describeExpr(e string) string {
	if i := strings.IndexByte(e, ':'); i >= 0 {
		return e[i+1:]
	}
	switch e {
	case "block_end":
		return "end of statement block"
	case "variable_end":
		return "end of print statement"
	case "name":
		return "name"
	}
	return e
}

func (p *parser) expectKind(k tokKind, desc string) (*token, error) {
	t := p.cur()
	if t.kind != k {
		return nil, p.unexpected(desc)
	}
	return p.next(), nil
}

func (p *parser) expectOp(op string) error {
	if !p.isOp(op) {
		return p.unexpected(op)
	}
	p.next()
	return nil
}

func (p *parser) expectName(val string) error {
	if !p.isName(val) {
		return p.unexpected(val)
	}
	p.next()
	return nil
}

func (p *parser) unexpected(desc string) error {
	t := p.cur()
	if t.kind == tEOF {
		return p.fail(fmt.Sprintf("unexpected end of template, expected '%s'.", desc), t.line)
	}
	return p.fail(fmt.Sprintf("expected token '%s', got '%s'", desc, describeToken(t)), t.line)
}

func (p *parser) parseExpression(withCond bool) (expr, error) {
	if withCond {
		return p.parseCondExpr()
	}
	return p.parseOr()
}

func (p *parser) parseCondExpr() (expr, error) {
	line := p.cur().line
	mark := len(p.unknown)
	e1, err := p.parseOr()
	if err != nil {
		return nil, err
	}
	for p.skipName("if") {
		p.unknown = p.unknown[:mark]
		p.soft++
		e2, err := p.parseOr()
		p.soft--
		if err != nil {
			return nil, err
		}
		var e3 expr
		if p.skipName("else") {
			p.soft++
			e3, err = p.parseCondExpr()
			p.soft--
			if err != nil {
				return nil, err
			}
		}
		e1 = &condExpr{test: e2, a: e1, b: e3, line: line}
	}
	return e1, nil
}

func (p *parser) parseOr() (expr, error) {
	l, err := p.parseAnd()
	if err != nil {
		return nil, err
	}
	for p.skipName("or") {
		r, err := p.parseAnd()
		if err != nil {
			return nil, err
		}
		l = &orExpr{l, r}
	}
	return l, nil
}

func (p *parser) parseAnd() (expr, error) {
	l, err := p.parseNot()
	if err != nil {
		return nil, err
	}
	for p.skipName("and") {
		r, err := p.parseNot()
		if err != nil {
			return nil, err
		}
		l = &andExpr{l, r}
	}
	return l, nil
}

func (p *parser) parseNot() (expr, error) {
	if p.skipName("not") {
		x, err := p.parseNot()
		if err != nil {
			return nil, err
		}
		return &notExpr{x}, nil
	}
	return p.parseCompare()
}

func (p *parser) parseCompare() (expr, error) {
	first, err := p.parseMath1()
	if err != nil {
		return nil, err
	}
	var ops []cmpOp
	for {
		t := p.cur()
		var op string
		switch {
		case t.kind == tOp && (t.val == "==" || t.val == "!=" || t.val == "<" || t.val == "<=" || t.val == ">" || t.val == ">="):
			op = t.val
			p.next()
		case p.isName("in"):
			op = "in"
			p.next()
		case p.isName("not") && p.look().kind == tName && p.look().val == "in":
			op = "notin"
			p.next()
			p.next()
		}
		if op == "" {
			break
		}
		e, err := p.parseMath1()
		if err != nil {
			return nil, err
		}
		ops = append(ops, cmpOp{op, e})
	}
	if len(ops) == 0 {
		return first, nil
	}
	return &compareExpr{first, ops}, nil
}

func (p *parser) parseMath1() (expr, error) {
	line := p.cur().line
	l, err := p.parseConcat()
	if err != nil {
		return nil, err
	}
	for p.isOp("+") || p.isOp("-") {
		op := p.next().val
		r, err := p.parseConcat()
		if err != nil {
			return nil, err
		}
		l = &binExpr{op: op, l: l, r: r, line: line}
	}
	return l, nil
}

func (p *parser) parseConcat() (expr, error) {
	first, err := p.parseMath2()
	if err != nil {
		return nil, err
	}
	parts := []expr{first}
	for p.skipOp("~") {
		e, err := p.parseMath2()
		if err != nil {
			return nil, err
		}
		parts = append(parts, e)
	}
	if len(parts) == 1 {
		return first, nil
	}
	return &concatExpr{parts}, nil
}

func (p *parser) parseMath2() (expr, error) {
	line := p.cur().line
	l, err := p.parsePow()
	if err != nil {
		return nil, err
	}
	for p.isOp("*") || p.isOp("/") || p.isOp("//") || p.isOp("%") {
		op := p.next().val
		r, err := p.parsePow()
		if err != nil {
			return nil, err
		}
		l = &binExpr{op: op, l: l, r: r, line: line}
	}
	return l, nil
}

func (p *parser) parsePow() (expr, error) {
	line := p.cur().line
	l, err := p.parseUnary(true)
	if err != nil {
		return nil, err
	}
	for p.skipOp("**") {
		r, err := p.parseUnary(true)
		if err != nil {
			return nil, err
		}
		l = &binExpr{op: "**", l: l, r: r, line: line}
	}
	return l, nil
}

func (p *parser) parseUnary(withFilter bool) (expr, error) {
	var node expr
	var err error
	switch {
	case p.isOp("-") || p.isOp("+"):
		op := p.next().val
		x, err := p.parseUnary(false)
		if err != nil {
			return nil, err
		}
		node = &unaryExpr{op, x}
	default:
		if node, err = p.parsePrimary(); err != nil {
			return nil, err
		}
	}
	if node, err = p.parsePostfix(node); err != nil {
		return nil, err
	}
	if withFilter {
		return p.parseFilterExpr(node)
	}
	return node, nil
}

func (p *parser) parsePrimary() (expr, error) {
	t := p.cur()
	switch t.kind {
	case tName:
		p.next()
		switch t.val {
		case "true", "True":
			return &constExpr{true}, nil
		case "false", "False":
			return &constExpr{false}, nil
		case "none", "None":
			return &constExpr{nil}, nil
		}
		return &nameExpr{name: t.val, line: t.line}, nil
	case tString:
		p.next()
		s := t.val
		for p.cur().kind == tString {
			s += p.next().val
		}
		return &constExpr{s}, nil
	case tInt, tFloat:
		p.next()
		return &constExpr{t.num}, nil
	case tOp:
		switch t.val {
		case "(":
			p.next()
			e, err := p.parseTuple(false, true, nil, true)
			if err != nil {
				return nil, err
			}
			if err := p.expectOp(")"); err != nil {
				return nil, err
			}
			return e, nil
		case "[":
			return p.parseList()
		case "{":
			return p.parseDict()
		}
	}
	return nil, p.fail(fmt.Sprintf("unexpected '%s'", describeToken(t)), t.line)
}

// parseTuple mirrors Parser.parse_tuple.
func (p *parser) parseTuple(simplified, withCond bool, extraEnd []string, explicitParens bool) (expr, error) {
	line := p.cur().line
	var items []expr
	isTuple := false
	for {
		if len(items) > 0 {
			if err := p.expectOp(","); err != nil {
				return nil, err
			}
		}
		if p.isTupleEnd(extraEnd) {
			break
		}
		var e expr
		var err error
		if simplified {
			e, err = p.parsePrimary()
		} else {
			e, err = p.parseExpression(withCond)
		}
		if err != nil {
			return nil, err
		}
		items = append(items, e)
		if p.isOp(",") {
			isTuple = true
		} else {
			break
		}
	}
	if !isTuple {
		if len(items) > 0 {
			return items[0], nil
		}
		if !explicitParens {
			return nil, p.fail(fmt.Sprintf("Expected an expression, got '%s'", describeToken(p.cur())), line)
		}
	}
	return &tupleExpr{items}, nil
}

func (p *parser) isTupleEnd(extraEnd []string) bool {
	t := p.cur()
	if t.kind == tVarEnd || t.kind == tBlockEnd || (t.kind == tOp && t.val == ")") {
		return true
	}
	for _, e := range extraEnd {
		if strings.HasPrefix(e, "name:") && p.isName(e[5:]) {
			return true
		}
	}
	return false
}

func (p *parser) parseList() (expr, error) {
	p.next()
	var items []expr
	for !p.isOp("]") {
		if len(items) > 0 {
			if err := p.expectOp(","); err != nil {
				return nil, err
			}
		}
		if p.isOp("]") {
			break
		}
		e, err := p.parseExpression(true)
		if err != nil {
			return nil, err
		}
		items = append(items, e)
	}
	p.next()
	return &listExpr{items}, nil
}

func (p *parser) parseDict() (expr, error) {
	p.next()
	d := &dictExpr{}
	for !p.isOp("}") {
		if len(d.keys) > 0 {
			if err := p.expectOp(","); err != nil {
				return nil, err
			}
		}
		if p.isOp("}") {
			break
		}
		k, err := p.parseExpression(true)
		if err != nil {
			return nil, err
		}
		if err := p.expectOp(":"); err != nil {
			return nil, err
		}
		v, err := p.parseExpression(true)
		if err != nil {
			return nil, err
		}
		d.keys = append(d.keys, k)
		d.vals = append(d.vals, v)
	}
	p.next()
	return d, nil
}

func (p *parser) parsePostfix(node expr) (expr, error) {
	for {
		var err error
		switch {
		case p.isOp(".") || p.isOp("["):
			node, err = p.parseSubscript(node)
		case p.isOp("("):
			node, err = p.parseCall(node)
		default:
			return node, nil
		}
		if err != nil {
			return nil, err
		}
	}
}

func (p *parser) parseFilterExpr(node expr) (expr, error) {
	for {
		var err error
		switch {
		case p.isOp("|"):
			node, err = p.parseFilter(node, false)
		case p.isName("is"):
			node, err = p.parseTest(node)
		case p.isOp("("):
			node, err = p.parseCall(node)
		default:
			return node, nil
		}
		if err != nil {
			return nil, err
		}
	}
}

func (p *parser) parseSubscript(node expr) (expr, error) {
	t := p.next()
	if t.val == "." {
		at := p.cur()
		switch at.kind {
		case tName:
			p.next()
			return &getattrExpr{obj: node, attr: at.val, line: t.line}, nil
		case tInt:
			p.next()
			return &getitemExpr{obj: node, key: &constExpr{at.num}, line: t.line}, nil
		}
		return nil, p.fail("expected name or number", at.line)
	}
	var args []expr
	for !p.isOp("]") {
		if len(args) > 0 {
			if err := p.expectOp(","); err != nil {
				return nil, err
			}
		}
		a, err := p.parseSubscribed()
		if err != nil {
			return nil, err
		}
		args = append(args, a)
	}
	p.next()
	if len(args) == 1 {
		return &getitemExpr{obj: node, key: args[0], line: t.line}, nil
	}
	return &getitemExpr{obj: node, key: &tupleExpr{args}, line: t.line}, nil
}

func (p *parser) parseSubscribed() (expr, error) {
	var parts [3]expr
	var err error
	if p.isOp(":") {
		p.next()
	} else {
		e, err := p.parseExpression(true)
		if err != nil {
			return nil, err
		}
		if !p.isOp(":") {
			return e, nil
		}
		p.next()
		parts[0] = e
	}
	if !p.isOp("]") && !p.isOp(",") && !p.isOp(":") {
		if parts[1], err = p.parseExpression(true); err != nil {
			return nil, err
		}
	}
	if p.skipOp(":") {
		if !p.isOp("]") && !p.isOp(",") {
			if parts[2], err = p.parseExpression(true); err != nil {
				return nil, err
			}
		}
	}
	return &sliceExpr{parts[0], parts[1], parts[2]}, nil
}

func (p *parser) parseCallArgs() (callArgs, error) {
	var ca callArgs
	tok := p.cur()
	if err := p.expectOp("("); err != nil {
		return ca, err
	}
	requireComma := false
	bad := func() error { return p.fail("invalid syntax for function call expression", tok.line) }
	for !p.isOp(")") {
		if requireComma {
			if err := p.expectOp(","); err != nil {
				return ca, err
			}
			if p.isOp(")") {
				break
			}
		}
		switch {
		case p.isOp("*"):
			if ca.dynArgs != nil || ca.dynKwargs != nil {
				return ca, bad()
			}
			p.next()
			e, err := p.parseExpression(true)
			if err != nil {
				return ca, err
			}
			ca.dynArgs = e
		case p.isOp("**"):
			if ca.dynKwargs != nil {
				return ca, bad()
			}
			p.next()
			e, err := p.parseExpression(true)
			if err != nil {
				return ca, err
			}
			ca.dynKwargs = e
		default:
			if p.cur().kind == tName && p.look().kind == tOp && p.look().val == "=" {
				if ca.dynKwargs != nil {
					return ca, bad()
				}
				key := p.next().val
				p.next()
				e, err := p.parseExpression(true)
				if err != nil {
					return ca, err
				}
				ca.kwargs = append(ca.kwargs, kwArg{key, e})
			} else {
				if ca.dynArgs != nil || ca.dynKwargs != nil || len(ca.kwargs) > 0 {
					return ca, bad()
				}
				e, err := p.parseExpression(true)
				if err != nil {
					return ca, err
				}
				ca.args = append(ca.args, e)
			}
		}
		requireComma = true
	}
	p.next()
	return ca, nil
}

func (p *parser) parseCall(node expr) (expr, error) {
	line := p.cur().line
	ca, err := p.parseCallArgs()
	if err != nil {
		return nil, err
	}
	return &callExpr{fn: node, callArgs: ca, line: line}, nil
}

func (p *parser) parseDottedName() (string, int, error) {
	t, err := p.expectKind(tName, "name")
	if err != nil {
		return "", 0, err
	}
	name := t.val
	for p.isOp(".") {
		p.next()
		t2, err := p.expectKind(tName, "name")
		if err != nil {
			return "", 0, err
		}
		name += "." + t2.val
	}
	return name, t.line, nil
}

func (p *parser) parseFilter(node expr, startInline bool) (expr, error) {
	for p.isOp("|") || startInline {
		if !startInline {
			p.next()
		}
		startInline = false
		name, line, err := p.parseDottedName()
		if err != nil {
			return nil, err
		}
		f := &filterExpr{x: node, name: name, line: line}
		if p.isOp("(") {
			if f.callArgs, err = p.parseCallArgs(); err != nil {
				return nil, err
			}
		}
		f.fn = p.env.filters[name]
		if f.fn == nil && p.soft == 0 {
			p.unknown = append(p.unknown, &TemplateError{Kind: KindAssertion, Message: fmt.Sprintf("No filter named '%s'.", name), Line: line, Syntax: true})
		}
		node = f
	}
	return node, nil
}

func (p *parser) parseTest(node expr) (expr, error) {
	p.next() // is
	negated := p.skipName("not")
	name, line, err := p.parseDottedName()
	if err != nil {
		return nil, err
	}
	te := &testExpr{x: node, name: name, line: line}
	t := p.cur()
	switch {
	case p.isOp("("):
		if te.callArgs, err = p.parseCallArgs(); err != nil {
			return nil, err
		}
	case (t.kind == tName || t.kind == tString || t.kind == tInt || t.kind == tFloat ||
		(t.kind == tOp && (t.val == "(" || t.val == "[" || t.val == "{"))) &&
		!(p.isName("else") || p.isName("or") || p.isName("and")):
		if p.isName("is") {
			return nil, p.fail("You cannot chain multiple tests with is", t.line)
		}
		a, err := p.parsePrimary()
		if err != nil {
			return nil, err
		}
		if a, err = p.parsePostfix(a); err != nil {
			return nil, err
		}
		te.args = []expr{a}
	}
	te.fn = p.env.tests[name]
	if te.fn == nil && p.soft == 0 {
		p.unknown = append(p.unknown, &TemplateError{Kind: KindAssertion, Message: fmt.Sprintf("No test named '%s'.", name), Line: line, Syntax: true})
	}
	if negated {
		return &notExpr{te}, nil
	}
	return te, nil
}
