package jinja2

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
		f.soft = p.soft > 0
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
	te.soft = p.soft > 0
	if negated {
		return &notExpr{te}, nil
	}
	return te, nil
}
