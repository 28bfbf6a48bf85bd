// Package gitopscmd implements `kluctl gitops`: it drives KluctlDeployments
// through the controller (suspend, resume, and reconcile, diff, deploy,
// prune and validate requests), prints the controller's results like
// the CLI prints its own and shows the controller's logs of them.
package gitopscmd

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/spf13/cobra"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/kluctl-go/kluctl/api/v1beta1"
	"github.com/kluctl-go/kluctl/internal/cli/factory"
	"github.com/kluctl-go/kluctl/internal/cli/output"
	"github.com/kluctl-go/kluctl/internal/controller"
	"github.com/kluctl-go/kluctl/internal/k8s"
	"github.com/kluctl-go/kluctl/internal/result"
	"github.com/kluctl-go/kluctl/internal/results"
)

// NewCmd returns the gitops command group.
func NewCmd(f *factory.Factory) *cobra.Command {
	cmd := &cobra.Command{Use: "gitops", Short: "GitOps sub-commands"}
	cmd.AddCommand(
		newSuspendCmd(f, true), newSuspendCmd(f, false),
		newRequestCmd(f, "reconcile", v1beta1.KluctlRequestReconcileAnnotation, "Trigger a GitOps reconciliation", "a reconciliation loop"),
		newRequestCmd(f, "diff", v1beta1.KluctlRequestDiffAnnotation, "Trigger a GitOps diff", "a reconciliation loop with a forced diff"),
		newRequestCmd(f, "deploy", v1beta1.KluctlRequestDeployAnnotation, "Trigger a GitOps deployment", "a reconciliation loop with a forced deployment"),
		newRequestCmd(f, "prune", v1beta1.KluctlRequestPruneAnnotation, "Trigger a GitOps prune", "a reconciliation loop with a forced prune"),
		newRequestCmd(f, "validate", v1beta1.KluctlRequestValidateAnnotation, "Trigger a GitOps validate", "a reconciliation loop with a forced validation"),
		newLogsCmd(f),
	)
	return cmd
}

// selection are the flags that pick KluctlDeployments.
type selection struct {
	name, namespace, labelSelector string
	kubeconfig, kubeContext        string
	controllerNamespace            string
	resultNamespace                string
	all                            bool
	timeout                        time.Duration
}

func (s *selection) add(cmd *cobra.Command, withAll bool) {
	fl := cmd.Flags()
	fl.StringVar(&s.name, "name", "", "Specifies the name of the KluctlDeployment.")
	fl.StringVarP(&s.namespace, "namespace", "n", "", "Specifies the namespace of the KluctlDeployment. If omitted, the current namespace from your kubeconfig is used.")
	fl.StringVarP(&s.labelSelector, "label-selector", "l", "", "If specified, KluctlDeployments are searched and filtered by this label selector.")
	fl.StringVar(&s.kubeconfig, "kubeconfig", "", "Overrides the kubeconfig to use.")
	fl.StringVar(&s.kubeContext, "context", "", "Override the context to use.")
	fl.StringVar(&s.controllerNamespace, "controller-namespace", "kluctl-system", "The namespace where the controller runs in.")
	fl.StringVar(&s.resultNamespace, "command-result-namespace", results.DefaultNamespace, "Override the namespace to be used when writing command results.")
	fl.DurationVar(&s.timeout, "timeout", 10*time.Minute, "Specify timeout for all operations, including waiting for the controller.")
	if withAll {
		fl.BoolVar(&s.all, "all", false, "If enabled, all deployments of the namespace are selected.")
	}
}

// connection is a client of the cluster the KluctlDeployments live in.
type connection struct {
	cfg     *rest.Config
	cl      client.Client
	clients *k8s.Clients
}

func (s *selection) connect(f *factory.Factory) (*connection, string, error) {
	explicit := ""
	if s.kubeconfig != "" {
		var err error
		if explicit, err = f.Abs(s.kubeconfig); err != nil {
			return nil, "", err
		}
	}
	cfg, _, err := k8s.LoadKubeconfig(f.Getenv, explicit, s.kubeContext)
	if err != nil {
		return nil, "", err
	}
	ns := s.namespace
	if ns == "" {
		rules := clientcmd.NewDefaultClientConfigLoadingRules()
		rules.ExplicitPath = explicit
		if kc := f.Getenv("KUBECONFIG"); kc != "" {
			rules.Precedence = []string{kc}
		}
		ns, _, _ = clientcmd.NewNonInteractiveDeferredLoadingClientConfig(rules, &clientcmd.ConfigOverrides{CurrentContext: s.kubeContext}).Namespace()
		if ns == "" {
			ns = "default"
		}
	}
	scheme, err := controller.Scheme()
	if err != nil {
		return nil, "", err
	}
	cl, err := client.New(cfg, client.Options{Scheme: scheme})
	if err != nil {
		return nil, "", err
	}
	clients, err := f.Pool.Clients(cfg)
	if err != nil {
		return nil, "", err
	}
	return &connection{cfg: cfg, cl: cl, clients: clients}, ns, nil
}

// selected returns the KluctlDeployments the flags name.
func (s *selection) selected(ctx context.Context, c *connection, ns string) ([]v1beta1.KluctlDeployment, error) {
	switch {
	case s.name != "" && s.labelSelector != "":
		return nil, fmt.Errorf("either name or label selector must be set, not both")
	case s.name != "":
		var kd v1beta1.KluctlDeployment
		if err := c.cl.Get(ctx, types.NamespacedName{Namespace: ns, Name: s.name}, &kd); err != nil {
			return nil, fmt.Errorf("KluctlDeployment %s/%s: %w", ns, s.name, err)
		}
		return []v1beta1.KluctlDeployment{kd}, nil
	case s.labelSelector != "" || s.all:
		var l v1beta1.KluctlDeploymentList
		opts := []client.ListOption{client.InNamespace(ns)}
		if s.labelSelector != "" {
			sel, err := parseSelector(s.labelSelector)
			if err != nil {
				return nil, err
			}
			opts = append(opts, client.MatchingLabelsSelector{Selector: sel})
		}
		if err := c.cl.List(ctx, &l, opts...); err != nil {
			return nil, fmt.Errorf("list KluctlDeployments: %w", err)
		}
		if len(l.Items) == 0 {
			return nil, fmt.Errorf("no KluctlDeployment matches in namespace %s", ns)
		}
		return l.Items, nil
	}
	return nil, fmt.Errorf("select KluctlDeployments with --name, --label-selector or --all")
}

// each runs fn for every selected KluctlDeployment, within --timeout, and
// joins the errors.
func (s *selection) each(ctx context.Context, f *factory.Factory, fn func(context.Context, *connection, *v1beta1.KluctlDeployment) error) error {
	ctx, cancel := context.WithTimeout(ctx, s.timeout)
	defer cancel()
	c, ns, err := s.connect(f)
	if err != nil {
		return err
	}
	kds, err := s.selected(ctx, c, ns)
	if err != nil {
		return err
	}
	var errs []error
	for i := range kds {
		errs = append(errs, fn(ctx, c, &kds[i]))
	}
	return errors.Join(errs...)
}

// printCommandResult prints a stored command result with the output flags.
func printCommandResult(ctx context.Context, f *factory.Factory, c *connection, s *selection, out *output.Flags, id string) error {
	st := results.New(c.clients, results.Options{Namespace: s.resultNamespace})
	cr, err := st.GetCommandResult(ctx, id, false)
	if err != nil {
		return err
	}
	res := result.FromDocument(cr)
	return out.Write(f.IO, res)
}

func rawJSON(v any) json.RawMessage {
	b, _ := json.Marshal(v)
	return b
}
