package jinja2

import (
	"context"
	"fmt"
	"io"
	"runtime/debug"
	"strings"
	"sync"
)

// Options configures an Environment.
type Options struct {
	// Strict selects StrictUndefined (Kluctl's default): any use of an
	// undefined name is an error. When false, undefined values are chainable
	// and render as the empty string.
	Strict bool
	// TrimBlocks removes the first newline after a block tag.
	TrimBlocks bool
	// LstripBlocks strips spaces and tabs from the start of a line up to a
	// block tag.
	LstripBlocks bool
	// SearchPath is the ordered list of absolute folders templates are
	// looked up in. Template names can never escape these folders.
	SearchPath []string
	// Globals are extra global variables, merged over the builtins.
	Globals map[string]any
	// MaxRecursion limits nested macro calls, includes, imports and
	// recursive loops; 0 selects DefaultMaxRecursion.
	MaxRecursion int
	// MaxSteps limits loop iterations and calls per render; 0 selects
	// DefaultMaxSteps.
	MaxSteps int
	// DebugOutput receives the lines written by debug_print; nil discards
	// them.
	DebugOutput io.Writer
	// ParseCache, when set, shares parsed template files with other
	// environments using the same cache (see ParseCache).
	ParseCache *ParseCache
}

// Default limits.
const (
	DefaultMaxRecursion = 200
	DefaultMaxSteps     = 50_000_000
)

// Environment holds the configuration, filters, tests, globals and the
// template cache. It is safe for concurrent use.
type Environment struct {
	opts     Options
	undef    undefKind
	filters  map[string]filterFunc
	tests    map[string]testFunc
	builtins map[string]any
	loader   *loader

	mu    sync.Mutex
	cache map[string]*cacheEntry
}

type cacheEntry struct {
	once sync.Once
	t    *Template
	err  error
}

// Template is a parsed template. It is immutable and safe to render
// concurrently.
type Template struct {
	env      *Environment
	name     string
	filename string
	base     string // file that ./ and ../ includes are relative to
	source   string
	body     []stmt
	blocks   map[string]*blockStmt
	extends  bool

	linesOnce sync.Once
	lines     []string
}

// NewEnvironment creates an environment from opts.
func NewEnvironment(opts Options) (*Environment, error) {
	if opts.MaxRecursion <= 0 {
		opts.MaxRecursion = DefaultMaxRecursion
	}
	if opts.MaxSteps <= 0 {
		opts.MaxSteps = DefaultMaxSteps
	}
	ld, err := newLoader(opts.SearchPath)
	if err != nil {
		return nil, err
	}
	e := &Environment{
		opts:   opts,
		undef:  undefLenient,
		loader: ld,
		cache:  map[string]*cacheEntry{},
	}
	if opts.Strict {
		e.undef = undefStrict
	}
	e.filters = builtinFilters()
	e.tests = builtinTests()
	e.builtins = builtinGlobals()
	return e, nil
}

// FromString parses source as a template. The name is used in errors and,
// when it names a file under the search path, as the base for ./ and ../
// relative includes.
func (e *Environment) FromString(name, source string) (*Template, error) {
	return e.parse(name, e.loader.filenameFor(name), source)
}

func (e *Environment) parse(name, filename, source string) (t *Template, err error) {
	defer func() {
		if rec := recover(); rec != nil {
			err = &TemplateError{Name: name, Filename: filename, Kind: KindRuntime,
				Message: fmt.Sprintf("internal error: %v\n%s", rec, debug.Stack()), Syntax: true}
		}
	}()
	t = &Template{env: e, name: name, filename: filename, base: filename, source: normalizeSource(source)}
	if t.base == "" {
		t.base = e.loader.baseFor(name)
	}
	toks, err := tokenize(t.source, e.opts.TrimBlocks, e.opts.LstripBlocks)
	if err == nil {
		p := &parser{toks: toks, env: e, blocks: map[string]*blockStmt{}}
		t.body, err = p.parse()
		t.blocks, t.extends = p.blocks, p.extends
		if err == nil {
			err = e.foldCheck(t.body)
		}
	}
	if err != nil {
		return nil, t.locateSyntax(err)
	}
	return t, nil
}

func (t *Template) locateSyntax(err error) error {
	te, ok := err.(*TemplateError)
	if !ok {
		return err
	}
	te.Name, te.Filename, te.located = t.name, t.filename, true
	if te.Line > 0 {
		te.SourceLine = t.sourceLine(te.Line)
	}
	return te
}

// GetTemplate loads a template through the loader. Parsed templates are
// cached; the call is safe for concurrent use.
func (e *Environment) GetTemplate(name string) (*Template, error) {
	return e.getTemplate(name, "")
}

func (e *Environment) getTemplate(name, fromFile string) (*Template, error) {
	name, filename, err := e.loader.resolve(name, fromFile)
	if err != nil {
		return nil, err
	}
	e.mu.Lock()
	ce := e.cache[filename]
	if ce == nil {
		ce = &cacheEntry{}
		e.cache[filename] = ce
	}
	e.mu.Unlock()
	ce.once.Do(func() {
		src, err := e.loader.read(filename)
		if err != nil {
			ce.err = err
			return
		}
		ce.t, ce.err = e.parseFile(name, filename, src)
	})
	return ce.t, ce.err
}

// RenderString renders source as a template named name. A source without
// any '{' is returned unchanged.
func (e *Environment) RenderString(ctx context.Context, name, source string, vars map[string]any) (string, error) {
	if strings.IndexByte(source, '{') < 0 {
		return source, nil
	}
	t, err := e.FromString(name, source)
	if err != nil {
		return "", err
	}
	return t.Render(ctx, vars)
}

// Name returns the template name.
func (t *Template) Name() string { return t.name }

func (t *Template) sourceLine(line int) string {
	t.linesOnce.Do(func() { t.lines = strings.Split(t.source, "\n") })
	if line < 1 || line > len(t.lines) {
		return ""
	}
	return t.lines[line-1]
}

// Render renders the template with vars, Go values as decoded from YAML or
// JSON. Maps are turned into dicts with sorted keys.
func (t *Template) Render(ctx context.Context, vars map[string]any) (out string, err error) {
	if ctx == nil {
		ctx = context.Background()
	}
	r := t.env.newRenderer(ctx, vars)
	defer func() {
		if rec := recover(); rec != nil {
			out = ""
			err = &TemplateError{Name: t.name, Filename: t.filename, Kind: KindRuntime,
				Message: fmt.Sprintf("internal error: %v\n%s", rec, debug.Stack())}
		}
	}()
	var b strings.Builder
	b.Grow(len(t.source) + len(t.source)/4)
	if err := r.execTemplate(t, &frame{parent: r.root}, &b); err != nil {
		return "", err
	}
	return b.String(), nil
}

// output is where statements write rendered text.
type output = strings.Builder

// frame is one scope: a template's top level, a loop iteration, a macro
// call or a with block.
type frame struct {
	parent *frame
	names  []string
	vals   []any
}

func (f *frame) lookup(name string) (any, bool) {
	for ; f != nil; f = f.parent {
		for i := len(f.names) - 1; i >= 0; i-- {
			if f.names[i] == name {
				return f.vals[i], true
			}
		}
	}
	return nil, false
}

func (f *frame) set(name string, v any) {
	for i, n := range f.names {
		if n == name {
			f.vals[i] = v
			return
		}
	}
	f.names = append(f.names, name)
	f.vals = append(f.vals, v)
}

// renderer is the state of one Render call.
type renderer struct {
	ctx   context.Context
	env   *Environment
	undef undefKind
	tmpl  *Template
	run   *tmplRun
	root  *frame
	vars  map[string]any
	conv  map[string]any
	depth int
	steps int
	// loading tracks load_sha256 templates being rendered, for recursion.
	loading map[string]bool
}

// tmplRun is the state of rendering one template hierarchy (extends).
type tmplRun struct {
	top    *frame
	parent *Template
	blocks map[string][]blockRef
}

type blockRef struct {
	b *blockStmt
	t *Template
}

func (e *Environment) newRenderer(ctx context.Context, vars map[string]any) *renderer {
	return &renderer{ctx: ctx, env: e, undef: e.undef, root: &frame{}, vars: vars}
}

// global resolves a name that is not bound in any frame.
func (r *renderer) global(name string) (any, bool) {
	if v, ok := r.conv[name]; ok {
		return v, true
	}
	raw, ok := r.vars[name]
	if !ok {
		raw, ok = r.env.opts.Globals[name]
	}
	if ok {
		v := FromGo(raw)
		if r.conv == nil {
			r.conv = make(map[string]any, 8)
		}
		r.conv[name] = v
		return v, true
	}
	v, ok := r.env.builtins[name]
	return v, ok
}

func (r *renderer) lookup(f *frame, name string) any {
	if v, ok := f.lookup(name); ok {
		return v
	}
	if v, ok := r.global(name); ok {
		return v
	}
	if name == "self" && r.run != nil {
		return r.selfRef()
	}
	return &Undefined{kind: r.undef, name: name}
}

// step counts work against the step budget and polls for cancellation.
func (r *renderer) step() error {
	r.steps++
	if r.steps&1023 == 0 {
		if err := r.ctx.Err(); err != nil {
			return &TemplateError{Kind: KindRuntime, Message: "rendering aborted: " + err.Error(), Err: err}
		}
	}
	if r.steps > r.env.opts.MaxSteps {
		return newRuntimeError(KindRuntime, fmt.Sprintf("template exceeded the step budget of %d", r.env.opts.MaxSteps))
	}
	return nil
}

func (r *renderer) enter() error {
	r.depth++
	if r.depth > r.env.opts.MaxRecursion {
		r.depth--
		return newRuntimeError(KindRecursion, "maximum recursion depth exceeded")
	}
	return r.step()
}

func (r *renderer) leave() { r.depth-- }

func (r *renderer) execTemplate(t *Template, top *frame, w *output) error {
	prevT, prevRun := r.tmpl, r.run
	defer func() { r.tmpl, r.run = prevT, prevRun }()
	r.tmpl = t
	run := &tmplRun{top: top}
	r.run = run
	if len(t.blocks) > 0 || t.extends {
		run.blocks = map[string][]blockRef{}
		for n, b := range t.blocks {
			run.blocks[n] = append(run.blocks[n], blockRef{b, t})
		}
	}
	if !t.extends {
		return r.execBody(t.body, top, w)
	}
	cur := t
	for {
		var discard output
		out := w
		for _, s := range cur.body {
			if err := s.exec(r, top, out); err != nil {
				return err
			}
			if run.parent != nil {
				out = &discard
			}
		}
		if run.parent == nil {
			return nil
		}
		cur, run.parent = run.parent, nil
		for n, b := range cur.blocks {
			run.blocks[n] = append(run.blocks[n], blockRef{b, cur})
		}
		r.tmpl = cur
	}
}

func (r *renderer) execBody(body []stmt, f *frame, w *output) error {
	for _, s := range body {
		if err := s.exec(r, f, w); err != nil {
			return err
		}
	}
	return nil
}
