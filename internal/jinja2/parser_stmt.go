package jinja2

import (
	"context"
	"fmt"
	"strings"
)

// parse parses a whole template into its top-level statements.
func (p *parser) parse() ([]stmt, error) {
	body, err := p.subparse(nil)
	return body, err
}

// hard parses f in a new (not soft) compiler frame: loop bodies, macros,
// call and filter blocks, with and block bodies.
func (p *parser) hard(f func() error) error {
	saved := p.soft
	p.soft = 0
	err := f()
	p.soft = saved
	return err
}

// parseStatements parses the body of a block statement after its tag.
func (p *parser) parseStatements(end []string) ([]stmt, error) {
	p.skipOp(":")
	if _, err := p.expectKind(tBlockEnd, "end of statement block"); err != nil {
		return nil, err
	}
	return p.subparse(end)
}

func (p *parser) atEndToken(end []string) bool {
	for _, e := range end {
		if p.isName(strings.TrimPrefix(e, "name:")) {
			return true
		}
	}
	return false
}

func (p *parser) subparse(end []string) ([]stmt, error) {
	var body []stmt
	if end != nil {
		p.endStack = append(p.endStack, end)
		defer func() { p.endStack = p.endStack[:len(p.endStack)-1] }()
	}
	for p.cur().kind != tEOF {
		t := p.cur()
		switch t.kind {
		case tData:
			p.next()
			body = append(body, &dataStmt{t.val})
		case tVarBegin:
			p.next()
			line := p.cur().line
			e, err := p.parseTuple(false, true, nil, false)
			if err != nil {
				return nil, err
			}
			if _, err := p.expectKind(tVarEnd, "end of print statement"); err != nil {
				return nil, err
			}
			if c, ok := e.(*constExpr); ok {
				if s, ok := c.val.(string); ok {
					body = append(body, &dataStmt{s})
					continue
				}
			}
			if !p.isConstOutput(e) {
				p.lastMark = line
			}
			body = append(body, &printStmt{x: e, line: line})
		case tBlockBegin:
			p.next()
			if end != nil && p.atEndToken(end) {
				return body, nil
			}
			st, err := p.parseStatement()
			if err != nil {
				return nil, err
			}
			if _, err := p.expectKind(tBlockEnd, "end of statement block"); err != nil {
				return nil, err
			}
			if st != nil {
				body = append(body, st...)
			}
		default:
			return nil, p.fail("internal parser error", t.line)
		}
	}
	if end != nil {
		return nil, p.failTag("", p.cur().line)
	}
	return body, nil
}

func (p *parser) failTag(name string, line int) error {
	expected := map[string]bool{}
	for _, ends := range p.endStack {
		for _, e := range ends {
			expected[describeExpr(e)] = true
		}
	}
	var msg []string
	if name == "" {
		msg = append(msg, "Unexpected end of template.")
	} else {
		msg = append(msg, fmt.Sprintf("Encountered unknown tag '%s'.", name))
	}
	if len(p.endStack) > 0 {
		var looking []string
		for _, e := range p.endStack[len(p.endStack)-1] {
			looking = append(looking, "'"+describeExpr(e)+"'")
		}
		cur := strings.Join(looking, " or ")
		if name != "" && expected[name] {
			msg = append(msg, "You probably made a nesting mistake. Jinja is expecting this tag, but currently looking for "+cur+".")
		} else {
			msg = append(msg, "Jinja was looking for the following tags: "+cur+".")
		}
	}
	if len(p.tagStack) > 0 {
		msg = append(msg, fmt.Sprintf("The innermost block that needs to be closed is '%s'.", p.tagStack[len(p.tagStack)-1]))
	}
	return p.fail(strings.Join(msg, " "), line)
}

func (p *parser) parseStatement() ([]stmt, error) {
	t := p.cur()
	p.depth++
	defer func() { p.depth-- }()
	if p.depth > maxExprDepth {
		return nil, p.fail("statements are nested too deeply", t.line)
	}
	if t.kind != tName {
		return nil, p.fail("tag name expected", t.line)
	}
	p.tagStack = append(p.tagStack, t.val)
	defer func() { p.tagStack = p.tagStack[:len(p.tagStack)-1] }()
	switch t.val {
	case "with", "autoescape", "block", "extends", "print", "filter":
	case "set", "call":
		// Marked after their body, see below.
		defer func() { p.lastMark = t.line }()
	default:
		p.lastMark = t.line
	}
	if t.val == "filter" {
		defer func() { p.lastMark = t.line }()
	}
	one := func(s stmt, err error) ([]stmt, error) {
		if err != nil {
			return nil, err
		}
		return []stmt{s}, nil
	}
	switch t.val {
	case "for":
		return one(p.parseFor())
	case "if":
		return one(p.parseIf())
	case "set":
		return one(p.parseSet())
	case "macro":
		return one(p.parseMacro())
	case "call":
		return one(p.parseCallBlock())
	case "filter":
		return one(p.parseFilterBlock())
	case "with":
		return one(p.parseWith())
	case "include":
		return one(p.parseInclude())
	case "import":
		return one(p.parseImport())
	case "from":
		return one(p.parseFrom())
	case "extends":
		p.next()
		e, err := p.parseExpression(true)
		p.extends = true
		return one(&extendsStmt{tmpl: e, line: t.line}, err)
	case "block":
		return one(p.parseBlock())
	case "print":
		p.next()
		var out []stmt
		for p.cur().kind != tBlockEnd {
			if len(out) > 0 {
				if err := p.expectOp(","); err != nil {
					return nil, err
				}
			}
			e, err := p.parseExpression(true)
			if err != nil {
				return nil, err
			}
			out = append(out, &printStmt{x: e, line: t.line})
		}
		return out, nil
	case "autoescape":
		p.next()
		if _, err := p.parseExpression(true); err != nil {
			return nil, err
		}
		body, err := p.parseStatements([]string{"name:endautoescape"})
		if err != nil {
			return nil, err
		}
		p.next()
		return one(&withStmt{body: body, line: t.line}, nil)
	case "break", "continue":
		p.next()
		sig := sigBreak
		if t.val == "continue" {
			sig = sigContinue
		}
		return one(&loopControlStmt{sig: sig, line: t.line}, nil)
	case "do":
		p.next()
		e, err := p.parseTuple(false, true, nil, false)
		return one(&doStmt{x: e, line: t.line}, err)
	}
	p.tagStack = p.tagStack[:len(p.tagStack)-1]
	err := p.failTag(t.val, t.line)
	p.tagStack = append(p.tagStack, t.val)
	return nil, err
}

func canAssign(e expr) bool {
	switch x := e.(type) {
	case *nameExpr:
		return true
	case *tupleExpr:
		for _, it := range x.items {
			if !canAssign(it) {
				return false
			}
		}
		return true
	case *nsRefExpr:
		return true
	}
	return false
}

func nodeKindName(e expr) string {
	switch e.(type) {
	case *constExpr:
		return "const"
	case *getattrExpr:
		return "getattr"
	case *getitemExpr:
		return "getitem"
	case *callExpr:
		return "call"
	case *filterExpr:
		return "filter"
	case *listExpr:
		return "list"
	case *dictExpr:
		return "dict"
	}
	return "expression"
}

func (p *parser) parseAssignTarget(withTuple, nameOnly bool, extraEnd []string, withNamespace bool) (expr, error) {
	line := p.cur().line
	if withNamespace && p.cur().kind == tName && p.look().kind == tOp && p.look().val == "." {
		name := p.next().val
		p.next()
		attr, err := p.expectKind(tName, "name")
		if err != nil {
			return nil, err
		}
		return &nsRefExpr{name: name, attr: attr.val, line: line}, nil
	}
	if nameOnly {
		t, err := p.expectKind(tName, "name")
		if err != nil {
			return nil, err
		}
		return &nameExpr{name: t.val, line: t.line}, nil
	}
	var target expr
	var err error
	if withTuple {
		target, err = p.parseTuple(true, true, extraEnd, false)
	} else {
		target, err = p.parsePrimary()
	}
	if err != nil {
		return nil, err
	}
	if !canAssign(target) {
		return nil, p.fail(fmt.Sprintf("can't assign to '%s'", nodeKindName(target)), line)
	}
	return target, nil
}

func (p *parser) parseFor() (stmt, error) {
	line := p.next().line
	target, err := p.parseAssignTarget(true, false, []string{"name:in"}, false)
	if err != nil {
		return nil, err
	}
	if err := p.expectName("in"); err != nil {
		return nil, err
	}
	iter, err := p.parseTuple(false, false, []string{"name:recursive"}, false)
	if err != nil {
		return nil, err
	}
	s := &forStmt{target: target, iter: iter, line: line}
	err = p.hard(func() error {
		var err error
		if p.skipName("if") {
			if s.filter, err = p.parseExpression(true); err != nil {
				return err
			}
		}
		s.recursive = p.skipName("recursive")
		s.body, err = p.parseStatements([]string{"name:endfor", "name:else"})
		return err
	})
	if err != nil {
		return nil, err
	}
	if p.next().val != "endfor" {
		if s.els, err = p.parseStatements([]string{"name:endfor"}); err != nil {
			return nil, err
		}
		p.next()
	}
	return s, nil
}

func (p *parser) parseIf() (stmt, error) {
	p.soft++
	defer func() { p.soft-- }()
	s := &ifStmt{line: p.next().line}
	condLine := s.line
	for {
		p.lastMark = condLine
		test, err := p.parseTuple(false, false, nil, false)
		if err != nil {
			return nil, err
		}
		body, err := p.parseStatements([]string{"name:elif", "name:else", "name:endif"})
		if err != nil {
			return nil, err
		}
		s.conds = append(s.conds, test)
		s.lines = append(s.lines, condLine)
		s.bodies = append(s.bodies, body)
		t := p.next()
		if t.val == "elif" {
			condLine = t.line
			continue
		}
		if t.val == "else" {
			if s.els, err = p.parseStatements([]string{"name:endif"}); err != nil {
				return nil, err
			}
			p.next()
		}
		return s, nil
	}
}

// filterChain flattens a parsed filter chain whose innermost input is nil.
func filterChain(e expr) []*filterExpr {
	var out []*filterExpr
	for e != nil {
		f := e.(*filterExpr)
		out = append([]*filterExpr{f}, out...)
		e = f.x
	}
	return out
}

func (p *parser) parseSet() (stmt, error) {
	line := p.next().line
	target, err := p.parseAssignTarget(true, false, nil, true)
	if err != nil {
		return nil, err
	}
	if p.skipOp("=") {
		v, err := p.parseTuple(false, true, nil, false)
		if err != nil {
			return nil, err
		}
		return &setStmt{target: target, value: v, line: line}, nil
	}
	chain, err := p.parseFilter(nil, false)
	if err != nil {
		return nil, err
	}
	body, err := p.parseStatements([]string{"name:endset"})
	if err != nil {
		return nil, err
	}
	p.next()
	return &setBlockStmt{target: target, filters: filterChain(chain), body: body, line: line}, nil
}

func (p *parser) parseFilterBlock() (stmt, error) {
	line := p.next().line
	var chain expr
	var body []stmt
	err := p.hard(func() error {
		var err error
		if chain, err = p.parseFilter(nil, true); err != nil {
			return err
		}
		body, err = p.parseStatements([]string{"name:endfilter"})
		return err
	})
	if err != nil {
		return nil, err
	}
	p.next()
	return &filterBlockStmt{filters: filterChain(chain), body: body, line: line}, nil
}

func (p *parser) parseWith() (stmt, error) {
	s := &withStmt{line: p.next().line, valueLine: max(p.lastMark, 1)}
	for p.cur().kind != tBlockEnd {
		if len(s.targets) > 0 {
			if err := p.expectOp(","); err != nil {
				return nil, err
			}
		}
		t, err := p.parseAssignTarget(true, false, nil, false)
		if err != nil {
			return nil, err
		}
		if err := p.expectOp("="); err != nil {
			return nil, err
		}
		v, err := p.parseExpression(true)
		if err != nil {
			return nil, err
		}
		s.targets = append(s.targets, t)
		s.values = append(s.values, v)
	}
	var body []stmt
	err := p.hard(func() error {
		var err error
		body, err = p.parseStatements([]string{"name:endwith"})
		return err
	})
	if err != nil {
		return nil, err
	}
	p.next()
	s.body = body
	return s, nil
}

// isConstOutput reports whether Jinja2's code generator folds the printed
// expression e into constant output, for which it writes no line marker.
func (p *parser) isConstOutput(e expr) bool {
	if p.fo == nil {
		p.fo = &folder{r: p.env.newRenderer(context.Background(), nil)}
	}
	v, err := p.fo.fold(e)
	if err != nil {
		return false
	}
	_, err = strValue(v)
	return err == nil
}
