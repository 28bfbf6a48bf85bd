// Package jinja2 is a pure-Go implementation of the Jinja2 3.1 template
// language as Kluctl configures it: StrictUndefined by default (or a lenient
// chainable undefined), autoescape off, keep_trailing_newline off, the
// loopcontrols extension, the Kluctl filters and globals (to_yaml, get_var,
// load_template, ...), and a loader over an ordered list of search folders
// that never lets a template name escape those folders.
//
// Templates are parsed once into an AST and evaluated directly over a small
// Python-like value model (None, bool, int, float, str, list, tuple,
// insertion-ordered dict, Markup, generators), so that the rendered text
// matches real Jinja2 byte for byte: Python's number printing and
// arithmetic, str/list/dict methods, %-formatting and str.format, PyYAML's
// output for to_yaml. A parsed Template is immutable and safe to render from
// many goroutines at once; all render state lives in the call.
//
// Typical use:
//
//	env, err := jinja2.NewEnvironment(jinja2.Options{Strict: true, SearchPath: dirs})
//	out, err := env.RenderString(ctx, "deployment.yml", source, vars)
//
// Errors are returned as *TemplateError carrying the template name and file,
// the line, the source line and a Jinja2 exception kind such as
// UndefinedError or TemplateSyntaxError.
//
// Runaway templates are stopped: recursion (macros, includes, imports,
// render, recursive loops) is limited by Options.MaxRecursion, loop
// iterations and calls by Options.MaxSteps, and the context is polled for
// cancellation. Integers, repeated strings and lists are capped in size.
//
// Known differences from Python Jinja2: compile-time constant folding errors
// (Jinja2's optimizer raises for some always-failing constant expressions even
// in branches that never run) are raised only when the expression runs;
// complex numbers (a negative float to a fractional power) are not
// supported; object addresses in reprs such as <generator object ...> differ;
// the messages of Python's own exceptions (TypeError, ...) are close but not
// always identical, while Jinja2's (UndefinedError, TemplateSyntaxError) are.
package jinja2
