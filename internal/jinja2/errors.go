package jinja2

import (
	"errors"
	"fmt"
	"strings"
)

// Error kinds, named after the Python exceptions Jinja2 raises.
const (
	KindUndefined = "UndefinedError"
	KindSyntax    = "TemplateSyntaxError"
	KindAssertion = "TemplateAssertionError"
	KindNotFound  = "TemplateNotFound"
	KindRuntime   = "TemplateRuntimeError"
	KindType      = "TypeError"
	KindValue     = "ValueError"
	KindZeroDiv   = "ZeroDivisionError"
	KindRecursion = "RecursionError"
	KindRaise     = "Exception"
)

// TemplateError is returned for every failure while parsing or rendering a
// template. Its Error text mirrors the traceback Kluctl prints for Jinja2:
//
//	File "deployment.yml", line 3, in top-level template code
//	  c: {{ nope }}
//	UndefinedError: 'nope' is undefined
type TemplateError struct {
	// Name is the template name as given to FromString or GetTemplate.
	Name string
	// Filename is the file the template was loaded from, when there is one.
	Filename string
	// Line is the 1-based line the error happened on (0 when unknown).
	Line int
	// Kind is the Python exception name, e.g. UndefinedError.
	Kind string
	// Message is the exception message.
	Message string
	// SourceLine is the template source line at Line.
	SourceLine string
	// Syntax is true for errors raised while compiling the template.
	Syntax bool
	// Err is the underlying cause, e.g. context.Canceled.
	Err error

	located bool
}

// Error formats the error like Kluctl's Jinja2 traceback.
func (e *TemplateError) Error() string {
	var b strings.Builder
	name := e.Filename
	if name == "" {
		name = e.Name
	}
	if name == "" {
		name = "<template>"
	}
	where := "top-level template code"
	if e.Syntax {
		where = "template"
	}
	if e.Line > 0 {
		fmt.Fprintf(&b, "  File %q, line %d, in %s\n", name, e.Line, where)
		if s := strings.TrimSpace(e.SourceLine); s != "" {
			fmt.Fprintf(&b, "    %s\n", s)
		}
	} else {
		fmt.Fprintf(&b, "  File %q, in %s\n", name, where)
	}
	b.WriteString(e.Kind)
	b.WriteString(": ")
	b.WriteString(e.Message)
	return b.String()
}

// Unwrap returns the underlying cause.
func (e *TemplateError) Unwrap() error { return e.Err }

func newRuntimeError(kind, msg string) *TemplateError {
	return &TemplateError{Kind: kind, Message: msg}
}

func typeError(format string, args ...any) *TemplateError {
	return newRuntimeError(KindType, fmt.Sprintf(format, args...))
}

func valueError(format string, args ...any) *TemplateError {
	return newRuntimeError(KindValue, fmt.Sprintf(format, args...))
}

func syntaxError(msg string, line int) *TemplateError {
	return &TemplateError{Kind: KindSyntax, Message: msg, Line: line, Syntax: true}
}

// locate fills in template name, file and line on an error that has none yet.
func locate(err error, t *Template, line int) error {
	if err == nil {
		return nil
	}
	var te *TemplateError
	if !errors.As(err, &te) {
		if isControl(err) {
			return err
		}
		te = &TemplateError{Kind: KindRuntime, Message: err.Error(), Err: err}
	}
	if te.located {
		return te
	}
	te.located = true
	if t != nil {
		te.Name = t.name
		te.Filename = t.filename
		if line > 0 {
			te.Line = line
			te.SourceLine = t.sourceLine(line)
		}
	}
	return te
}

type controlSignal int

const (
	sigBreak controlSignal = iota + 1
	sigContinue
)

// Error describes a break or continue used outside a loop.
func (c controlSignal) Error() string {
	if c == sigBreak {
		return "break outside loop"
	}
	return "continue outside loop"
}

func isControl(err error) bool {
	_, ok := err.(controlSignal)
	return ok
}
