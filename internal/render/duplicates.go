package render

import (
	"fmt"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/kluctl-go/kluctl/internal/k8s"
)

// dropDuplicates keeps each object (group, kind, namespace, name) only in
// the last item that renders it, in deployment order, as the original's
// last apply wins; applying both would make the cluster flip between the
// two definitions on every deploy. It returns a warning per duplicate
// naming both items.
func dropDuplicates(items []*Item) []string {
	type owner struct {
		item  int
		index int
	}
	last := map[k8s.ObjectRef]owner{}
	for i, it := range items {
		for j, o := range it.Objects {
			last[k8s.RefOf(o).Key()] = owner{i, j}
		}
	}
	var warnings []string
	for i, it := range items {
		var kept []*unstructured.Unstructured
		for j, o := range it.Objects {
			ref := k8s.RefOf(o).Key()
			w := last[ref]
			if w.item == i && w.index == j {
				kept = append(kept, o)
				continue
			}
			if w.item == i {
				warnings = append(warnings, fmt.Sprintf("object %s is rendered twice by deployment item %s; the last definition wins", ref, it.Name))
			} else {
				warnings = append(warnings, fmt.Sprintf("object %s is rendered by deployment items %s and %s; the definition of %s (the later one) wins", ref, it.Name, items[w.item].Name, items[w.item].Name))
			}
		}
		if len(kept) != len(it.Objects) {
			it.Objects = kept
		}
	}
	return warnings
}
