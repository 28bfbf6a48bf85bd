package jinja2

import "sync"

// ParseCache shares parsed template files between environments that have
// the same parsing options (Strict, TrimBlocks, LstripBlocks) and the same
// filters, as the environments of one project do: a file imported from
// many folders is parsed once. It is safe for concurrent use.
type ParseCache struct {
	mu sync.Mutex
	m  map[parseKey]*parsedFile
}

type parseKey struct {
	filename             string
	strict, trim, lstrip bool
}

type parsedFile struct {
	once sync.Once
	t    *Template
	err  error
}

// NewParseCache returns an empty cache for Options.ParseCache.
func NewParseCache() *ParseCache {
	return &ParseCache{m: map[parseKey]*parsedFile{}}
}

// parseFile parses filename through the shared cache when the environment
// has one, and returns a Template bound to e.
func (e *Environment) parseFile(name, filename, src string) (*Template, error) {
	c := e.opts.ParseCache
	if c == nil {
		return e.parse(name, filename, src)
	}
	key := parseKey{filename: filename, strict: e.opts.Strict, trim: e.opts.TrimBlocks, lstrip: e.opts.LstripBlocks}
	c.mu.Lock()
	pf := c.m[key]
	if pf == nil {
		pf = &parsedFile{}
		c.m[key] = pf
	}
	c.mu.Unlock()
	pf.once.Do(func() { pf.t, pf.err = e.parse(name, filename, src) })
	if pf.err != nil {
		return nil, pf.err
	}
	s := pf.t
	return &Template{env: e, name: name, filename: s.filename, base: s.base, source: s.source,
		body: s.body, blocks: s.blocks, extends: s.extends}, nil
}
