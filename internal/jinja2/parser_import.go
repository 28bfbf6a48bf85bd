package jinja2

import (
	"fmt"
	"strings"
)

func (p *parser) parseSignature(d *macroDef) error {
	if err := p.expectOp("("); err != nil {
		return err
	}
	for !p.isOp(")") {
		if len(d.params) > 0 {
			if err := p.expectOp(","); err != nil {
				return err
			}
		}
		t, err := p.parseAssignTarget(false, true, nil, false)
		if err != nil {
			return err
		}
		if p.skipOp("=") {
			e, err := p.parseExpression(true)
			if err != nil {
				return err
			}
			d.defaults = append(d.defaults, e)
		} else if len(d.defaults) > 0 {
			return p.fail("non-default argument follows default argument", t.(*nameExpr).line)
		}
		d.params = append(d.params, t.(*nameExpr).name)
	}
	p.next()
	return nil
}

func (p *parser) parseMacroBody(d *macroDef, end string) error {
	start := p.i
	var body []stmt
	err := p.hard(func() error {
		var err error
		body, err = p.parseStatements([]string{"name:" + end})
		return err
	})
	if err != nil {
		return err
	}
	for _, t := range p.toks[start:p.i] {
		if t.kind == tName {
			switch t.val {
			case "varargs":
				d.catchVarg = true
			case "kwargs":
				d.catchKw = true
			case "caller":
				d.caller = true
			}
		}
	}
	p.next()
	d.body = body
	return nil
}

func (p *parser) parseMacro() (stmt, error) {
	line := p.next().line
	name, err := p.parseAssignTarget(false, true, nil, false)
	if err != nil {
		return nil, err
	}
	d := &macroDef{name: name.(*nameExpr).name, line: line}
	if err := p.parseSignature(d); err != nil {
		return nil, err
	}
	if err := p.parseMacroBody(d, "endmacro"); err != nil {
		return nil, err
	}
	return &macroStmt{d}, nil
}

func (p *parser) parseCallBlock() (stmt, error) {
	line := p.next().line
	d := &macroDef{name: "caller", line: line}
	if p.isOp("(") {
		if err := p.parseSignature(d); err != nil {
			return nil, err
		}
	}
	e, err := p.parseExpression(true)
	if err != nil {
		return nil, err
	}
	call, ok := e.(*callExpr)
	if !ok {
		return nil, p.fail("expected call", line)
	}
	if err := p.parseMacroBody(d, "endcall"); err != nil {
		return nil, err
	}
	return &callBlockStmt{call: call, def: d, line: line}, nil
}

func (p *parser) parseImportContext(def bool) bool {
	if (p.isName("with") || p.isName("without")) && p.look().kind == tName && p.look().val == "context" {
		with := p.next().val == "with"
		p.next()
		return with
	}
	return def
}

func (p *parser) parseInclude() (stmt, error) {
	line := p.next().line
	e, err := p.parseExpression(true)
	if err != nil {
		return nil, err
	}
	s := &includeStmt{tmpl: e, line: line}
	if p.isName("ignore") && p.look().kind == tName && p.look().val == "missing" {
		p.next()
		p.next()
		s.ignoreMissing = true
	}
	s.withContext = p.parseImportContext(true)
	return s, nil
}

func (p *parser) parseImport() (stmt, error) {
	line := p.next().line
	e, err := p.parseExpression(true)
	if err != nil {
		return nil, err
	}
	if err := p.expectName("as"); err != nil {
		return nil, err
	}
	t, err := p.parseAssignTarget(false, true, nil, false)
	if err != nil {
		return nil, err
	}
	return &importStmt{tmpl: e, target: t.(*nameExpr).name, withContext: p.parseImportContext(false), line: line}, nil
}

func (p *parser) parseFrom() (stmt, error) {
	line := p.next().line
	e, err := p.parseExpression(true)
	if err != nil {
		return nil, err
	}
	if err := p.expectName("import"); err != nil {
		return nil, err
	}
	s := &fromImportStmt{tmpl: e, line: line}
	ctxSet := false
	parseCtx := func() bool {
		if (p.isName("with") || p.isName("without")) && p.look().kind == tName && p.look().val == "context" {
			s.withContext = p.next().val == "with"
			p.next()
			ctxSet = true
			return true
		}
		return false
	}
	for {
		if len(s.names) > 0 {
			if err := p.expectOp(","); err != nil {
				return nil, err
			}
		}
		if p.cur().kind != tName {
			if _, err := p.expectKind(tName, "name"); err != nil {
				return nil, err
			}
		}
		if parseCtx() {
			break
		}
		t, err := p.parseAssignTarget(false, true, nil, false)
		if err != nil {
			return nil, err
		}
		name := t.(*nameExpr).name
		if strings.HasPrefix(name, "_") {
			return nil, &TemplateError{Kind: KindAssertion, Message: "names starting with an underline can not be imported", Line: t.(*nameExpr).line, Syntax: true}
		}
		alias := name
		if p.skipName("as") {
			a, err := p.parseAssignTarget(false, true, nil, false)
			if err != nil {
				return nil, err
			}
			alias = a.(*nameExpr).name
		}
		s.names = append(s.names, [2]string{name, alias})
		if parseCtx() || !p.isOp(",") {
			break
		}
	}
	_ = ctxSet
	return s, nil
}

func (p *parser) parseBlock() (stmt, error) {
	line := p.next().line
	t, err := p.expectKind(tName, "name")
	if err != nil {
		return nil, err
	}
	b := &blockStmt{name: t.val, line: line}
	b.scoped = p.skipName("scoped")
	b.required = p.skipName("required")
	if p.isOp("-") {
		return nil, p.fail("Block names in Jinja have to be valid Python identifiers and may not contain hyphens, use an underscore instead.", line)
	}
	if err = p.hard(func() error {
		var err error
		b.body, err = p.parseStatements([]string{"name:endblock"})
		return err
	}); err != nil {
		return nil, err
	}
	p.next()
	p.skipName(b.name)
	if _, dup := p.blocks[b.name]; dup {
		return nil, &TemplateError{Kind: KindAssertion, Message: fmt.Sprintf("block '%s' defined twice", b.name), Line: line, Syntax: true}
	}
	p.blocks[b.name] = b
	return b, nil
}
