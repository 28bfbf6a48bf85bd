package jinja2

import "fmt"

const (
	undefStrict  undefKind = iota // StrictUndefined: every use is an error
	undefPlain                    // jinja2.Undefined: prints empty, errors on arithmetic
	undefLenient                  // Kluctl's lenient mode: chainable, prints empty
)

// undefKind selects how an undefined value behaves when used.
type undefKind uint8

// Undefined is the value of a missing variable, attribute or item.
type Undefined struct {
	kind   undefKind
	name   string
	key    any // non-string item key
	isKey  bool
	obj    any
	hasObj bool
	hint   string
}

func (u *Undefined) message() string {
	if u.hint != "" {
		return u.hint
	}
	if !u.hasObj {
		return fmt.Sprintf("'%s' is undefined", u.name)
	}
	if u.isKey {
		return fmt.Sprintf("%s has no element %s", objectTypeRepr(u.obj), pyRepr(u.key))
	}
	return fmt.Sprintf("'%s' has no attribute '%s'", objectTypeRepr(u.obj), u.name)
}

func (u *Undefined) err() error { return newRuntimeError(KindUndefined, u.message()) }
