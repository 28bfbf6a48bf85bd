package results

import (
	"encoding/json"
	"fmt"

	"github.com/kluctl-go/kluctl/internal/result"
)

// maxSummaryBytes bounds the summary annotation (all annotations of an
// object share 256 KiB).
const maxSummaryBytes = 128 << 10

// reduction is one step of making a result fit into a Secret.
type reduction struct {
	note string
	// apply returns the objects stored in compactedObjects.
	apply func(cr *result.CommandResult) []result.ResultObject
}

var reductions = []reduction{
	{"", func(cr *result.CommandResult) []result.ResultObject { return cr.Objects }},
	{"object bodies were reduced to their metadata", func(cr *result.CommandResult) []result.ResultObject { return cr.Reduced().Objects }},
	{"object bodies were reduced to their metadata and unchanged objects left out", func(cr *result.CommandResult) []result.ResultObject {
		return touched(cr.Reduced().Objects)
	}},
	{"only the changed objects were kept, without their field values", func(cr *result.CommandResult) []result.ResultObject {
		objs := touched(cr.Reduced().Objects)
		for i := range objs {
			objs[i].Rendered, objs[i].Remote, objs[i].Applied = nil, nil, nil
			for j := range objs[i].Changes {
				c := objs[i].Changes[j]
				c.OldValue, c.NewValue, c.UnifiedDiff = nil, nil, ""
				objs[i].Changes[j] = c
			}
		}
		return objs
	}},
}

// touched keeps the objects the command changed or found.
func touched(objs []result.ResultObject) []result.ResultObject {
	var out []result.ResultObject
	for _, o := range objs {
		if o.New || o.Orphan || o.Deleted || o.Hook || len(o.Changes) != 0 {
			o.Changes = append(o.Changes[:0:0], o.Changes...)
			out = append(out, o)
		}
	}
	return out
}

// encoded is the Secret content of one command result.
type encoded struct {
	data        map[string][]byte
	annotations map[string]string
	warnings    []string
}

// encodeCommandResult returns the Secret data and annotations of cr,
// reduced step by step until it fits. The summary always counts the full
// result.
func (s *Store) encodeCommandResult(cr *result.CommandResult) (*encoded, error) {
	size := 0
	for _, r := range reductions {
		doc := cr
		if r.note != "" {
			c := *cr
			c.Warnings = append(append([]result.DeploymentError(nil), cr.Warnings...), result.DeploymentError{Message: "the stored command result was too large for a Secret: " + r.note})
			doc = &c
		}
		compacted, err := gzipJSON(result.CompactedObjects(r.apply(doc)))
		if err != nil {
			return nil, fmt.Errorf("encode command result objects: %w", err)
		}
		reduced, err := gzipJSON(doc.Reduced())
		if err != nil {
			return nil, fmt.Errorf("encode command result: %w", err)
		}
		if size = len(reduced) + len(compacted); size > s.opts.MaxSecretBytes {
			continue
		}
		summary := cr.Summary()
		summary.Warnings = doc.Warnings
		b, err := json.Marshal(boundedSummary(summary))
		if err != nil {
			return nil, err
		}
		out := &encoded{
			data:        map[string][]byte{KeyReducedResult: reduced, KeyCompactedObjects: compacted},
			annotations: map[string]string{AnnotationCommandResultSummary: string(b)},
		}
		if r.note != "" {
			out.annotations[AnnotationReduced] = r.note
			out.warnings = []string{fmt.Sprintf("command result %s is too large for a Secret: %s", cr.ID, r.note)}
		}
		return out, nil
	}
	return nil, fmt.Errorf("command result %s is %d bytes compressed even when reduced, more than a Secret holds (%d)", cr.ID, size, s.opts.MaxSecretBytes)
}

// boundedSummary cuts the errors and warnings of a summary so that it
// fits into an annotation.
func boundedSummary(s *result.CommandResultSummary) *result.CommandResultSummary {
	b, err := json.Marshal(s)
	if err != nil || len(b) <= maxSummaryBytes {
		return s
	}
	c := *s
	for n := min(len(c.Errors)+len(c.Warnings), 100); n >= 0; n /= 2 {
		c.Errors = cut(s.Errors, n)
		c.Warnings = cut(s.Warnings, n)
		if b, err := json.Marshal(&c); err == nil && len(b) <= maxSummaryBytes {
			break
		}
		if n == 0 {
			break
		}
	}
	return &c
}

func cut(l []result.DeploymentError, n int) []result.DeploymentError {
	if len(l) <= n {
		return l
	}
	out := append([]result.DeploymentError(nil), l[:n]...)
	return append(out, result.DeploymentError{Message: fmt.Sprintf("... and %d more (see the full result)", len(l)-n)})
}
