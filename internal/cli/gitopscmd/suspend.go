package gitopscmd

import (
	"context"
	"fmt"
	"time"

	"github.com/spf13/cobra"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/kluctl-go/kluctl/api/v1beta1"
	"github.com/kluctl-go/kluctl/internal/cli/factory"
)

// newSuspendCmd returns `gitops suspend` (suspend) or `gitops resume`.
func newSuspendCmd(f *factory.Factory, suspend bool) *cobra.Command {
	var sel selection
	name, short, value := "resume", "Resume a GitOps deployment", "false"
	if suspend {
		name, short, value = "suspend", "Suspend a GitOps deployment", "true"
	}
	cmd := &cobra.Command{
		Use:   name,
		Short: short,
		Long:  fmt.Sprintf("This command will %s a GitOps deployment by setting spec.suspend to '%s'.", name, value),
		Args:  cobra.NoArgs,
	}
	sel.add(cmd, true)
	cmd.RunE = func(cmd *cobra.Command, _ []string) error {
		return sel.each(cmd.Context(), f, func(ctx context.Context, c *connection, kd *v1beta1.KluctlDeployment) error {
			return setSuspend(ctx, f, c, kd, suspend)
		})
	}
	return cmd
}

func setSuspend(ctx context.Context, f *factory.Factory, c *connection, kd *v1beta1.KluctlDeployment, suspend bool) error {
	patch := client.MergeFrom(kd.DeepCopy())
	kd.Spec.Suspend = suspend
	if err := c.cl.Patch(ctx, kd, patch, client.FieldOwner("kluctl")); err != nil {
		return fmt.Errorf("patch %s/%s: %w", kd.Namespace, kd.Name, err)
	}
	f.Progress("Waiting for final reconciliation to finish")
	for {
		var cur v1beta1.KluctlDeployment
		if err := c.cl.Get(ctx, types.NamespacedName{Namespace: kd.Namespace, Name: kd.Name}, &cur); err != nil {
			return err
		}
		if cur.Status.ObservedGeneration >= kd.Generation {
			fmt.Fprintf(f.IO.ErrOut, "KluctlDeployment %s/%s: suspend=%v\n", kd.Namespace, kd.Name, suspend)
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("the controller did not observe %s/%s in time: %w", kd.Namespace, kd.Name, ctx.Err())
		case <-time.After(time.Second):
		}
	}
}
