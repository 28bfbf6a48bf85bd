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
				delta := dmp.DiffToDelta(dmp.DiffMain(prev, cur, false))
				if len(delta) < len(cur) {
					*p.dst = deltaPrefix + delta
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
