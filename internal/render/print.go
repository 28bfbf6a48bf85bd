package render

import (
	"fmt"
	"io"

	"sigs.k8s.io/yaml"
)

// WriteObjects writes the objects of all included items as a YAML stream.
func WriteObjects(w io.Writer, res *Result) error {
	first := true
	for _, it := range res.Items {
		if it.Excluded {
			continue
		}
		for _, o := range it.Objects {
			b, err := yaml.Marshal(o.Object)
			if err != nil {
				return fmt.Errorf("marshal %s: %w", o.GetName(), err)
			}
			if !first {
				if _, err := io.WriteString(w, "---\n"); err != nil {
					return err
				}
			}
			first = false
			if _, err := w.Write(b); err != nil {
				return err
			}
		}
	}
	return nil
}
