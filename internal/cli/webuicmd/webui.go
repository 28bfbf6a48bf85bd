// Package webuicmd implements `kluctl webui run` (serve the web UI) and
// `kluctl webui build` (a static copy of it).
package webuicmd

import (
	"context"
	"fmt"
	"sort"

	"github.com/spf13/cobra"
	"k8s.io/client-go/rest"

	"github.com/kluctl-go/kluctl/internal/cli/factory"
	"github.com/kluctl-go/kluctl/internal/k8s"
	"github.com/kluctl-go/kluctl/internal/webui"
)

// NewCmd returns the webui command group.
func NewCmd(f *factory.Factory) *cobra.Command {
	cmd := &cobra.Command{Use: "webui", Short: "Kluctl Webui sub-commands"}
	cmd.AddCommand(newRunCmd(f), newBuildCmd(f))
	return cmd
}

// contextFlags select the clusters to show.
type contextFlags struct {
	kubeconfig  string
	contexts    []string
	allContexts bool
}

func (c *contextFlags) add(cmd *cobra.Command) {
	fl := cmd.Flags()
	fl.StringVar(&c.kubeconfig, "kubeconfig", "", "Overrides the kubeconfig to use.")
	fl.StringArrayVar(&c.contexts, "context", nil, "List of kubernetes contexts to use. Defaults to the current context.")
	fl.BoolVar(&c.allContexts, "all-contexts", false, "Use all Kubernetes contexts found in the kubeconfig.")
}

func (c *contextFlags) explicit(f *factory.Factory) (string, error) {
	if c.kubeconfig == "" {
		return "", nil
	}
	return f.Abs(c.kubeconfig)
}

// names returns the contexts to read: the named ones, all of them, or the
// current one ("").
func (c *contextFlags) names(f *factory.Factory) ([]string, error) {
	if c.allContexts && len(c.contexts) != 0 {
		return nil, fmt.Errorf("--context and --all-contexts exclude each other")
	}
	if !c.allContexts {
		if len(c.contexts) == 0 {
			return []string{""}, nil
		}
		return c.contexts, nil
	}
	explicit, err := c.explicit(f)
	if err != nil {
		return nil, err
	}
	raw, err := k8s.KubeconfigRules(f.Getenv, explicit).Load()
	if err != nil {
		return nil, fmt.Errorf("load kubeconfig: %w", err)
	}
	var out []string
	for name := range raw.Contexts {
		out = append(out, name)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("--all-contexts: the kubeconfig has no contexts")
	}
	sort.Strings(out)
	return out, nil
}

// clusters connects to every selected context. Two contexts of the same
// cluster are shown once.
func (c *contextFlags) clusters(ctx context.Context, f *factory.Factory) ([]*webui.Cluster, error) {
	names, err := c.names(f)
	if err != nil {
		return nil, err
	}
	explicit, err := c.explicit(f)
	if err != nil {
		return nil, err
	}
	var out []*webui.Cluster
	seen := map[string]bool{}
	for _, name := range names {
		cfg, used, err := k8s.LoadKubeconfig(f.Getenv, explicit, name)
		if err != nil {
			return nil, err
		}
		cl, err := connect(ctx, f, cfg, used)
		if err != nil {
			return nil, err
		}
		if !seen[cl.ID] {
			seen[cl.ID] = true
			out = append(out, cl)
		}
	}
	return out, nil
}

func connect(ctx context.Context, f *factory.Factory, cfg *rest.Config, name string) (*webui.Cluster, error) {
	f.Progress("Connecting to context %q", name)
	return webui.NewCluster(ctx, f.Pool, cfg, name)
}
