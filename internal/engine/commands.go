package engine

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/kluctl-go/kluctl/internal/deploy"
	"github.com/kluctl-go/kluctl/internal/k8s"
	"github.com/kluctl-go/kluctl/internal/project"
	"github.com/kluctl-go/kluctl/internal/prune"
	"github.com/kluctl-go/kluctl/internal/result"
	"github.com/kluctl-go/kluctl/internal/results"
	"github.com/kluctl-go/kluctl/internal/validate"
)

// ErrOffline is returned by the cluster commands of a target loaded offline.
var ErrOffline = errors.New("this command needs a cluster connection, but the target was loaded offline")

func (t *Target) clients() (*k8s.Clients, error) {
	if t.Cluster == nil {
		return nil, ErrOffline
	}
	return t.Cluster.Clients, nil
}

// Deploy applies the target and returns what changed (see deploy.Deploy).
func (t *Target) Deploy(ctx context.Context, opts deploy.Options) (*result.Result, error) {
	c, err := t.clients()
	if err != nil {
		return nil, err
	}
	if opts.DryRun {
		t.em.info("Running server-side dry-run against %s...", t.ClusterName())
	} else {
		t.em.info("Deploying to %s...", t.ClusterName())
	}
	if opts.OwnedIndex == nil {
		opts.OwnedIndex = t.Cluster.Index
	}
	res, err := deploy.Deploy(ctx, c, t.Rendered, opts)
	return t.finish(ctx, res, commandFlags{command: "deploy", deploy: opts}), err
}

// DiffOptions configure Diff.
type DiffOptions struct {
	deploy.Options
	// IgnoreTags, IgnoreLabels, IgnoreAnnotations and IgnoreKluctlMetadata
	// hide those changes from the diff.
	IgnoreTags, IgnoreLabels, IgnoreAnnotations, IgnoreKluctlMetadata bool
}

// Diff returns what Deploy would change, from a server-side dry-run.
func (t *Target) Diff(ctx context.Context, opts DiffOptions) (*result.Result, error) {
	c, err := t.clients()
	if err != nil {
		return nil, err
	}
	res := *t.Rendered
	res.IgnoreForDiff = append(append([]project.IgnoreForDiffRule(nil), res.IgnoreForDiff...), opts.ignoreRules()...)
	t.em.info("Running server-side dry-run against %s...", t.ClusterName())
	if opts.OwnedIndex == nil {
		opts.OwnedIndex = t.Cluster.Index
	}
	out, err := deploy.Diff(ctx, c, &res, opts.Options)
	flags := opts.Options
	flags.DryRun, flags.NoWait, flags.AbortOnError = true, false, false
	return t.finish(ctx, out, commandFlags{command: "diff", deploy: flags}), err
}

func (o DiffOptions) ignoreRules() []project.IgnoreForDiffRule {
	tagRule := project.IgnoreForDiffRule{FieldPathRegex: project.StringOrList{`metadata\.labels\["kluctl\.io/tag-.*"\]`}}
	var rules []project.IgnoreForDiffRule
	if o.IgnoreTags {
		rules = append(rules, tagRule)
	}
	if o.IgnoreLabels {
		rules = append(rules, project.IgnoreForDiffRule{FieldPath: project.StringOrList{"metadata.labels.*"}})
	}
	if o.IgnoreAnnotations {
		rules = append(rules, project.IgnoreForDiffRule{FieldPath: project.StringOrList{"metadata.annotations.*"}})
	}
	if o.IgnoreKluctlMetadata {
		rules = append(rules, tagRule,
			project.IgnoreForDiffRule{FieldPathRegex: project.StringOrList{`metadata\.labels\["kluctl\.io/discriminator"\]`}},
			project.IgnoreForDiffRule{FieldPathRegex: project.StringOrList{`metadata\.annotations\["kluctl\.io/deployment-item-dir"\]`}})
	}
	return rules
}

// Orphans lists the objects prune would delete.
func (t *Target) Orphans(ctx context.Context, opts prune.Options) ([]k8s.ObjectRef, error) {
	c, err := t.clients()
	if err != nil {
		return nil, err
	}
	t.em.info("Searching for orphan objects...")
	if opts.Index == nil {
		opts.Index = t.Cluster.Index
	}
	refs, warnings, err := prune.Orphans(ctx, c, t.Rendered, opts)
	t.warnAll(warnings)
	return refs, err
}

// Prune deletes the target's orphan objects.
func (t *Target) Prune(ctx context.Context, opts prune.Options) (*result.Result, error) {
	c, err := t.clients()
	if err != nil {
		return nil, err
	}
	t.em.info("Pruning orphan objects of %s...", t.ClusterName())
	if opts.Index == nil {
		opts.Index = t.Cluster.Index
	}
	res, err := prune.Prune(ctx, c, t.Rendered, opts)
	return t.finish(ctx, res, commandFlags{command: "prune", deploy: deploy.Options{DryRun: opts.DryRun}}), err
}

// Deletable lists the objects Delete would remove.
func (t *Target) Deletable(ctx context.Context, opts prune.Options) ([]k8s.ObjectRef, error) {
	c, err := t.deleteClients()
	if err != nil {
		return nil, err
	}
	t.em.info("Searching for the objects of the target...")
	refs, warnings, err := prune.Deletable(ctx, c, t.Rendered, opts)
	t.warnAll(warnings)
	return refs, err
}

// Delete removes every object of the target from the cluster.
func (t *Target) Delete(ctx context.Context, opts prune.Options) (*result.Result, error) {
	c, err := t.deleteClients()
	if err != nil {
		return nil, err
	}
	t.em.info("Deleting the objects of the target from %s...", t.ClusterName())
	res, err := prune.DeleteTarget(ctx, c, t.Rendered, opts)
	return t.finish(ctx, res, commandFlags{command: "delete", deploy: deploy.Options{DryRun: opts.DryRun}}), err
}

// deleteClients returns the clients for delete, which finds the target's
// objects by its discriminator and therefore needs one.
func (t *Target) deleteClients() (*k8s.Clients, error) {
	if t.Rendered.Discriminator == "" {
		return nil, fmt.Errorf("target %q has no discriminator; delete needs one to find the target's objects", t.Rendered.Target)
	}
	return t.clients()
}

// ValidateOptions configure Validate.
type ValidateOptions struct {
	validate.Options
	// Wait retries until the target validates or Wait has passed.
	Wait time.Duration
	// Sleep is the pause between attempts; 5s when 0.
	Sleep time.Duration
	// WarningsAsErrors fails the validation on warnings too.
	WarningsAsErrors bool
}

// ErrNotReady is returned by Validate when objects are missing or not
// ready (or have warnings, with WarningsAsErrors).
var ErrNotReady = errors.New("validation failed: not all objects are ready")

// Validate checks that every deployed object exists and is ready,
// retrying for up to opts.Wait.
func (t *Target) Validate(ctx context.Context, opts ValidateOptions) (*result.ValidateResult, error) {
	c, err := t.clients()
	if err != nil {
		return nil, err
	}
	if opts.Sleep <= 0 {
		opts.Sleep = 5 * time.Second
	}
	deadline := time.Now().Add(opts.Wait)
	for {
		t.em.info("Validating %s...", t.ClusterName())
		res, verr := validate.Validate(ctx, c, t.Rendered, opts.Options)
		if res == nil {
			return nil, verr
		}
		failed := verr != nil || (opts.WarningsAsErrors && len(res.Warnings) > 0)
		if !failed || !time.Now().Before(deadline) {
			res.Warnings = append(append(res.Warnings, t.renderWarnings()...), t.header(ctx).warnings...)
			res.Document = t.validateDocument(ctx, res)
			if !failed {
				return res, nil
			}
			if verr != nil {
				return res, fmt.Errorf("%w: %v", ErrNotReady, verr)
			}
			return res, ErrNotReady
		}
		select {
		case <-ctx.Done():
			return res, ctx.Err()
		case <-time.After(opts.Sleep):
		}
	}
}

// finish adds the render warnings to a command result and builds its
// document.
func (t *Target) finish(ctx context.Context, res *result.Result, f commandFlags) *result.Result {
	if res != nil {
		res.Warnings = append(append(res.Warnings, t.renderWarnings()...), t.header(ctx).warnings...)
		res.Document = t.document(ctx, res, f)
	}
	return res
}

// renderWarnings are the render's warnings as result messages, masked.
func (t *Target) renderWarnings() []result.ObjectMessage {
	out := make([]result.ObjectMessage, len(t.Rendered.Warnings))
	for i, w := range t.Rendered.Warnings {
		out[i] = result.ObjectMessage{Message: t.masker.String(w)}
	}
	return out
}

func (t *Target) warnAll(msgs []string) {
	for _, m := range msgs {
		t.em.warn("%s", m)
	}
}

// ResultStore returns the store of command results in the target's
// cluster.
func (t *Target) ResultStore(opts results.Options) (*results.Store, error) {
	c, err := t.clients()
	if err != nil {
		return nil, err
	}
	return results.New(c, opts), nil
}
