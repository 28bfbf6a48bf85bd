package jinja2

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"regexp"
	"strings"
	"unicode"

	"golang.org/x/text/unicode/norm"
)

func filterToYAML(r *renderer, f *frame, v any, a *args) (any, error) {
	return toYAML(v)
}

func filterFromYAML(r *renderer, f *frame, v any, a *args) (any, error) {
	s, err := strValue(v)
	if err != nil {
		return nil, err
	}
	return fromYAML(s)
}

func filterToJSON(r *renderer, f *frame, v any, a *args) (any, error) {
	o := &jsonOptions{}
	if ind, ok := a.get(0, "indent"); ok && ind != nil {
		o.hasInd = true
		n, _ := intOf(ind)
		o.indent = strings.Repeat(" ", int(n))
	}
	var b strings.Builder
	if err := writeJSON(&b, v, o, 0); err != nil {
		return nil, err
	}
	return b.String(), nil
}

func filterB64Encode(r *renderer, f *frame, v any, a *args) (any, error) {
	s, err := strValue(v)
	if err != nil {
		return nil, err
	}
	return base64.StdEncoding.EncodeToString([]byte(s)), nil
}

func filterB64Decode(r *renderer, f *frame, v any, a *args) (any, error) {
	s, err := strValue(v)
	if err != nil {
		return nil, err
	}
	b, err := base64.StdEncoding.DecodeString(strings.TrimSpace(s))
	if err != nil {
		return nil, newRuntimeError("binascii.Error", err.Error())
	}
	return string(b), nil
}

func sha256Hex(s string, a *args, idx int) (string, error) {
	sum := sha256.Sum256([]byte(s))
	h := hex.EncodeToString(sum[:])
	if n, ok := a.get(idx, "digest_len"); ok && n != nil {
		l, ok := intOf(n)
		if !ok {
			return "", typeError("digest_len must be an int")
		}
		if l >= 0 && int(l) < len(h) {
			h = h[:l]
		}
	}
	return h, nil
}

func filterSha256(r *renderer, f *frame, v any, a *args) (any, error) {
	s, err := strValue(v)
	if err != nil {
		return nil, err
	}
	return sha256Hex(s, a, 0)
}

var (
	slugDisallowed = regexp.MustCompile(`[^-a-z0-9]+`)
	slugDashes     = regexp.MustCompile(`-{2,}`)
	slugNumbers    = regexp.MustCompile(`(\d),(\d)`)
)

// slugify follows python-slugify's defaults.
func slugify(s string) string {
	s = strings.ReplaceAll(s, "'", "-")
	s = norm.NFKD.String(s)
	s = strings.Map(func(r rune) rune {
		if r > unicode.MaxASCII {
			return -1
		}
		return r
	}, s)
	s = strings.ToLower(s)
	s = strings.ReplaceAll(s, "'", "-")
	s = slugNumbers.ReplaceAllString(s, "$1$2")
	s = slugDisallowed.ReplaceAllString(s, "-")
	s = slugDashes.ReplaceAllString(s, "-")
	return strings.Trim(s, "-")
}

func filterSlugify(r *renderer, f *frame, v any, a *args) (any, error) {
	s, err := strValue(v)
	if err != nil {
		return nil, err
	}
	return slugify(s), nil
}

// renderInContext renders source as a template that sees the variables of
// frame f.
func (r *renderer) renderInContext(f *frame, source string, extra []kwVal) (string, error) {
	name := "<template>"
	t, err := r.env.parse(name, "", source)
	if err != nil {
		return "", err
	}
	if err := r.enter(); err != nil {
		return "", err
	}
	defer r.leave()
	top := &frame{parent: f}
	for _, k := range extra {
		top.set(k.name, k.val)
	}
	var b output
	if err := r.execTemplate(t, top, &b); err != nil {
		return "", err
	}
	return b.String(), nil
}

func filterRender(r *renderer, f *frame, v any, a *args) (any, error) {
	s, err := strValue(v)
	if err != nil {
		return nil, err
	}
	return r.renderInContext(f, s, a.kw)
}

func kluctlFilters() map[string]filterFunc {
	return map[string]filterFunc{
		"to_yaml":   filterToYAML,
		"to_json":   filterToJSON,
		"from_yaml": filterFromYAML,
		"b64encode": filterB64Encode,
		"b64decode": filterB64Decode,
		"sha256":    filterSha256,
		"slugify":   filterSlugify,
		"render":    filterRender,
	}
}
