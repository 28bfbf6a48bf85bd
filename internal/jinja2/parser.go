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
	depth    int // nesting of expressions and statements
	// lastMark is the line of the last node for which Jinja2's code
	// generator writes a line marker; errors in code without its own marker
	// are reported at this line.
	lastMark int
	fo       *folder
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
