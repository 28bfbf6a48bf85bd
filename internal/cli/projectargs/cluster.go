package projectargs

import (
	"context"
	"fmt"

	"github.com/kluctl-go/kluctl/internal/cli/factory"

	"github.com/kluctl-go/kluctl/internal/k8s"
)

// OverrideDiscriminator replaces the target's discriminator, also on every
// rendered object (--discriminator).
func (l *Loaded) OverrideDiscriminator(d string) {
	if d == "" {
		return
	}
	l.Result.Discriminator = d
	for _, it := range l.Result.Items {
		for _, o := range it.Objects {
			labels := o.GetLabels()
			if labels == nil {
				labels = map[string]string{}
			}
			labels[k8s.LabelDiscriminator] = d
			o.SetLabels(labels)
		}
	}
}

// ClusterName describes the cluster of a loaded project for prompts.
func (l *Loaded) ClusterName() string {
	if l.RESTConfig == nil {
		return "<offline>"
	}
	ctx := l.Project.Target.Context
	if ctx == "" {
		ctx = "current context"
	}
	return fmt.Sprintf("%s (%s)", ctx, l.RESTConfig.Host)
}

// LoadForCluster bounds ctx by --timeout, loads and renders the project and
// applies a --discriminator override. Call cancel when done.
func (f *Flags) LoadForCluster(ctx context.Context, fa *factory.Factory, discriminator string) (context.Context, context.CancelFunc, *Loaded, error) {
	ctx, cancel := context.WithTimeout(ctx, f.Timeout)
	loaded, err := f.Load(ctx, fa)
	if err != nil {
		cancel()
		return nil, nil, nil, err
	}
	loaded.OverrideDiscriminator(discriminator)
	return ctx, cancel, loaded, nil
}
