package result

import (
	"encoding/json"
	"fmt"
	"runtime"
	"strings"
	"sync"

	"github.com/sergi/go-diff/diffmatchpatch"
)

// CompactedObjects are result objects in the original's compact form: each
// of rendered, remote and applied is a string, "full: <json>" or, when
// shorter, "delta: <diff-match-patch delta>" against the previous present
// body of the same object (remote against rendered, applied against
// remote or rendered).
type CompactedObjects []ResultObject

// compactedObject is the serialised form of one object.
type compactedObject struct {
	BaseObject
	Rendered string `json:"rendered,omitempty"`
	Remote   string `json:"remote,omitempty"`
	Applied  string `json:"applied,omitempty"`
}

const (
	fullPrefix  = "full: "
	deltaPrefix = "delta: "
)

// MarshalJSON compacts the objects, several at a time.
func (l CompactedObjects) MarshalJSON() ([]byte, error) {
	out := make([]compactedObject, len(l))
	err := parallel(len(l), func(i int) error {
		o := l[i]
		c := compactedObject{BaseObject: o.BaseObject}
		dmp := diffmatchpatch.New()
		prev := ""
		for _, p := range []struct {
			body map[string]any
			dst  *string
		}{{o.Rendered, &c.Rendered}, {o.Remote, &c.Remote}, {o.Applied, &c.Applied}} {
			if p.body == nil {
				continue
			}
			b, err := json.Marshal(p.body)
			if err != nil {
				return fmt.Errorf("compact %s: %w", o.Ref, err)
			}
			cur := string(b)
			*p.dst = fullPrefix + cur
			if prev != "" {
				if diffs := tokenDiff(dmp, prev, cur); diffs != nil {
					if delta := dmp.DiffToDelta(diffs); len(delta) < len(cur) {
						*p.dst = deltaPrefix + delta
					}
				}
			}
			prev = cur
		}
		out[i] = c
		return nil
	})
	if err != nil {
		return nil, err
	}
	return json.Marshal(out)
}

// maxTokens bounds the distinct tokens of one diff: each becomes a rune
// below the surrogate range.
const maxTokens = 0xD000

// tokenDiff diffs two JSON texts token by token (a token ends after each of
// ,:{}[]), which is much faster than diffing characters and gives deltas
// that any diff-match-patch reader applies. nil means "store in full".
func tokenDiff(dmp *diffmatchpatch.DiffMatchPatch, a, b string) []diffmatchpatch.Diff {
	index := map[string]rune{}
	table := []string{""}
	toRunes := func(s string) []rune {
		var out []rune
		start := 0
		for i := 0; i < len(s); i++ {
			switch s[i] {
			case ',', ':', '{', '}', '[', ']':
			default:
				if i != len(s)-1 {
					continue
				}
			}
			tok := s[start : i+1]
			start = i + 1
			r, ok := index[tok]
			if !ok {
				r = rune(len(table))
				index[tok] = r
				table = append(table, tok)
			}
			out = append(out, r)
		}
		return out
	}
	ra, rb := toRunes(a), toRunes(b)
	if len(table) >= maxTokens {
		return nil
	}
	diffs := dmp.DiffMainRunes(ra, rb, false)
	var sb strings.Builder
	for i := range diffs {
		sb.Reset()
		for _, r := range diffs[i].Text {
			sb.WriteString(table[r])
		}
		diffs[i].Text = sb.String()
	}
	return refine(dmp, diffs)
}

// maxRefine bounds the replaced text that is diffed character by
// character.
const maxRefine = 2048

// refine diffs a replaced token run (a delete next to an insert) character
// by character when it is small, so that a changed value costs its changed
// characters only.
func refine(dmp *diffmatchpatch.DiffMatchPatch, diffs []diffmatchpatch.Diff) []diffmatchpatch.Diff {
	out := make([]diffmatchpatch.Diff, 0, len(diffs))
	for i := 0; i < len(diffs); i++ {
		d := diffs[i]
		if i+1 < len(diffs) && d.Type != diffmatchpatch.DiffEqual && diffs[i+1].Type != diffmatchpatch.DiffEqual && d.Type != diffs[i+1].Type {
			del, ins := d.Text, diffs[i+1].Text
			if d.Type == diffmatchpatch.DiffInsert {
				del, ins = ins, del
			}
			if len(del)+len(ins) <= maxRefine {
				out = append(out, dmp.DiffMain(del, ins, false)...)
				i++
				continue
			}
		}
		out = append(out, d)
	}
	return out
}

// UnmarshalJSON expands compacted objects.
func (l *CompactedObjects) UnmarshalJSON(b []byte) error {
	var in []compactedObject
	if err := json.Unmarshal(b, &in); err != nil {
		return err
	}
	out := make(CompactedObjects, len(in))
	err := parallel(len(in), func(i int) error {
		c := in[i]
		o := ResultObject{BaseObject: c.BaseObject}
		dmp := diffmatchpatch.New()
		prev := ""
		for _, p := range []struct {
			s   string
			dst *map[string]any
		}{{c.Rendered, &o.Rendered}, {c.Remote, &o.Remote}, {c.Applied, &o.Applied}} {
			if p.s == "" {
				continue
			}
			var cur string
			switch {
			case strings.HasPrefix(p.s, fullPrefix):
				cur = p.s[len(fullPrefix):]
			case strings.HasPrefix(p.s, deltaPrefix):
				if prev == "" {
					return fmt.Errorf("object %s: a delta without a preceding full object", c.Ref)
				}
				diffs, err := dmp.DiffFromDelta(prev, p.s[len(deltaPrefix):])
				if err != nil {
					return fmt.Errorf("object %s: bad delta: %w", c.Ref, err)
				}
				cur = dmp.DiffText2(diffs)
			default:
				return fmt.Errorf("object %s: unexpected compacted value (want %q or %q prefix)", c.Ref, fullPrefix, deltaPrefix)
			}
			if err := json.Unmarshal([]byte(cur), p.dst); err != nil {
				return fmt.Errorf("object %s: %w", c.Ref, err)
			}
			prev = cur
		}
		out[i] = o
		return nil
	})
	if err != nil {
		return err
	}
	*l = out
	return nil
}

// parallel runs f for 0..n-1 on up to GOMAXPROCS goroutines and returns
// the first error.
func parallel(n int, f func(int) error) error {
	workers := min(runtime.GOMAXPROCS(0), n)
	if workers <= 1 {
		for i := 0; i < n; i++ {
			if err := f(i); err != nil {
				return err
			}
		}
		return nil
	}
	var (
		wg    sync.WaitGroup
		mu    sync.Mutex
		first error
		next  int
	)
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				mu.Lock()
				i := next
				next++
				stop := first != nil
				mu.Unlock()
				if i >= n || stop {
					return
				}
				if err := f(i); err != nil {
					mu.Lock()
					if first == nil {
						first = err
					}
					mu.Unlock()
				}
			}
		}()
	}
	wg.Wait()
	return first
}
