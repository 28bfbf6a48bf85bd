package render

import (
	"fmt"
	"io"
	"runtime"
	"sync"

	yamlv2 "go.yaml.in/yaml/v2"
)

// WriteObjects writes the objects of all included items as a YAML stream,
// keys sorted, as `kubectl get -o yaml` style tools print them. Objects are
// encoded in parallel; the output order is the render order.
// A non-nil mask is applied to every object first (it must not change
// its argument).
func WriteObjects(w io.Writer, res *Result, mask func(any) any) error {
	var objs []any
	for _, it := range res.Items {
		if it.Excluded {
			continue
		}
		for _, o := range it.Objects {
			var obj any = o.Object
			if mask != nil {
				obj = mask(obj)
			}
			objs = append(objs, obj)
		}
	}
	docs := make([][]byte, len(objs))
	errs := make([]error, len(objs))
	workers := runtime.GOMAXPROCS(0)
	var wg sync.WaitGroup
	for wk := 0; wk < workers; wk++ {
		wg.Add(1)
		go func(wk int) {
			defer wg.Done()
			for i := wk; i < len(objs); i += workers {
				docs[i], errs[i] = yamlv2.Marshal(objs[i])
			}
		}(wk)
	}
	wg.Wait()
	for i, b := range docs {
		if errs[i] != nil {
			return fmt.Errorf("marshal object %d: %w", i, errs[i])
		}
		if i > 0 {
			if _, err := io.WriteString(w, "---\n"); err != nil {
				return err
			}
		}
		if _, err := w.Write(b); err != nil {
			return err
		}
	}
	return nil
}
