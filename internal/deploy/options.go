package deploy

import (
	"time"

	"github.com/kluctl-go/kluctl/internal/prune"
	"github.com/kluctl-go/kluctl/internal/readiness"
)

// Options configures Deploy and Diff.
type Options struct {
	// DryRun sends all mutating requests as server-side dry-runs.
	DryRun bool
	// ForceApply takes ownership of every conflicting field.
	ForceApply bool
	// ReplaceOnError replaces (PUT) objects whose apply failed.
	ReplaceOnError bool
	// ForceReplaceOnError deletes and re-creates objects whose apply and
	// replace failed, e.g. because of immutable fields.
	ForceReplaceOnError bool
	// AbortOnError stops scheduling further objects after the first error.
	AbortOnError bool
	// NoWait skips all readiness waits (items, objects and hooks).
	NoWait bool
	// ReadinessTimeout bounds each readiness wait.
	ReadinessTimeout time.Duration
	// Concurrency bounds the parallel apply requests; default 32.
	Concurrency int
	// NoOrphans skips looking for orphan objects.
	NoOrphans bool
	// Prune deletes the orphans after a successful deploy.
	Prune bool
	// OwnedIndex, when set, answers the orphan search (see prune.Index).
	OwnedIndex *prune.Index
}

// DefaultOptions returns the options of a plain `kluctl deploy`.
func DefaultOptions() Options {
	return Options{ReadinessTimeout: readiness.DefaultTimeout, Concurrency: 32}
}
