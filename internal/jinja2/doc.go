// Package jinja2 is a pure-Go implementation of the Jinja2 3.1 template
// language as Kluctl configures it: StrictUndefined by default (or a lenient
// chainable undefined), autoescape off, the loopcontrols extension, the
// Kluctl filters and globals (to_yaml, get_var, load_template, ...), and a
// loader over an ordered list of search folders that never lets a template
// name escape those folders.
//
// Templates are parsed once into an AST and evaluated directly over a small
// Python-like value model (None, bool, int, float, str, list, tuple and
// insertion-ordered dict), so that the rendered text matches real Jinja2
// byte for byte. A parsed Template is immutable and safe to render from many
// goroutines at once; all render state lives in the call.
//
// Errors are returned as *TemplateError carrying the template name, line,
// the source line and a Jinja2 exception kind such as UndefinedError or
// TemplateSyntaxError.
package jinja2
