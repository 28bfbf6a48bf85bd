package gitopscmd

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/kluctl-go/kluctl/api/v1beta1"
	"github.com/kluctl-go/kluctl/internal/cli/factory"
	"github.com/kluctl-go/kluctl/internal/cli/output"
	"github.com/kluctl-go/kluctl/internal/result"
	"github.com/kluctl-go/kluctl/internal/results"
)

func parseSelector(s string) (labels.Selector, error) {
	sel, err := labels.Parse(s)
	if err != nil {
		return nil, fmt.Errorf("--label-selector: %w", err)
	}
	return sel, nil
}

// overrides are the flags that patch the spec for one request.
type overrides struct {
	dryRun, forceApply, replaceOnError, forceReplaceOnError, abortOnError, noWait, prune bool
	target, targetNameOverride, targetContext                                            string
	includeTags, excludeTags, includeDirs, excludeDirs                                   []string
}

func (o *overrides) add(cmd *cobra.Command, deployFlags bool) {
	fl := cmd.Flags()
	fl.BoolVar(&o.dryRun, "dry-run", false, "Performs all kubernetes API calls in dry-run mode.")
	fl.BoolVar(&o.forceApply, "force-apply", false, "Force conflict resolution when applying. See documentation for details")
	fl.BoolVar(&o.replaceOnError, "replace-on-error", false, "When patching an object fails, try to replace it. See documentation for more details.")
	fl.BoolVar(&o.forceReplaceOnError, "force-replace-on-error", false, "Same as --replace-on-error, but also try to delete and re-create objects. See documentation for more details.")
	fl.BoolVar(&o.abortOnError, "abort-on-error", false, "Abort deploying when an error occurs instead of trying the remaining deployments")
	fl.StringVarP(&o.target, "target", "t", "", "Target name to run command for. Target must exist in .kluctl.yaml.")
	fl.StringVarP(&o.targetNameOverride, "target-name-override", "T", "", "Overrides the target name. If -t is used at the same time, then the target will be looked up based on -t <name> and then renamed to the value of -T. If no target is specified via -t, then the no-name target is renamed to the value of -T.")
	fl.StringVar(&o.targetContext, "target-context", "", "Overrides the context name specified in the target. If the selected target does not specify a context or the no-name target is used, --context will override the currently active context.")
	fl.StringArrayVarP(&o.includeTags, "include-tag", "I", nil, "Include deployments with given tag.")
	fl.StringArrayVarP(&o.excludeTags, "exclude-tag", "E", nil, "Exclude deployments with given tag. Exclusion has precedence over inclusion, meaning that explicitly excluded deployments will always be excluded even if an inclusion rule would match the same deployment.")
	fl.StringArrayVar(&o.includeDirs, "include-deployment-dir", nil, "Include deployment dir. The path must be relative to the root deployment project.")
	fl.StringArrayVar(&o.excludeDirs, "exclude-deployment-dir", nil, "Exclude deployment dir. The path must be relative to the root deployment project. Exclusion has precedence over inclusion, same as in --exclude-tag")
	if deployFlags {
		fl.BoolVar(&o.noWait, "no-wait", false, "Don't wait for objects readiness.")
		fl.BoolVar(&o.prune, "prune", false, "Prune orphaned objects directly after deploying. See the help for the 'prune' sub-command for details.")
	}
}

// patch is the spec merge patch of the flags the user set.
func (o *overrides) patch(cmd *cobra.Command) map[string]any {
	spec := map[string]any{}
	fl := cmd.Flags()
	for flag, field := range map[string]string{"dry-run": "dryRun", "force-apply": "forceApply", "replace-on-error": "replaceOnError",
		"force-replace-on-error": "forceReplaceOnError", "abort-on-error": "abortOnError", "no-wait": "noWait", "prune": "prune"} {
		if fl.Changed(flag) {
			v, _ := fl.GetBool(flag)
			spec[field] = v
		}
	}
	for flag, field := range map[string]string{"target": "target", "target-name-override": "targetNameOverride", "target-context": "context"} {
		if fl.Changed(flag) {
			v, _ := fl.GetString(flag)
			spec[field] = v
		}
	}
	for flag, field := range map[string]string{"include-tag": "includeTags", "exclude-tag": "excludeTags", "include-deployment-dir": "includeDeploymentDirs", "exclude-deployment-dir": "excludeDeploymentDirs"} {
		if fl.Changed(flag) {
			v, _ := fl.GetStringArray(flag)
			spec[field] = v
		}
	}
	if len(spec) == 0 {
		return nil
	}
	return map[string]any{"spec": spec}
}

func newRequestCmd(f *factory.Factory, name, annotation, short, what string) *cobra.Command {
	var sel selection
	var ov overrides
	var out output.Flags
	cmd := &cobra.Command{
		Use:   name,
		Short: short,
		Long:  fmt.Sprintf("This command will trigger an existing KluctlDeployment to perform %s.\nIt does this by setting the annotation '%s' to the current time.\n\nYou can override many deployment relevant fields, see the list of command flags for details.", what, annotation),
		Args:  cobra.NoArgs,
	}
	sel.add(cmd, false)
	ov.add(cmd, name == "deploy" || name == "reconcile")
	switch name {
	case "validate":
		out.AddOutput(cmd)
	case "reconcile":
	default:
		out.Add(cmd)
	}
	cmd.RunE = func(cmd *cobra.Command, _ []string) error {
		if err := out.Validate(); err != nil {
			return err
		}
		patch := ov.patch(cmd)
		return sel.each(cmd.Context(), f, func(ctx context.Context, c *connection, kd *v1beta1.KluctlDeployment) error {
			rr, err := request(ctx, f, c, kd, annotation, patch)
			if err != nil {
				return err
			}
			return report(ctx, f, c, &sel, &out, name, rr)
		})
	}
	return cmd
}

// request sets the request annotation and waits until the controller has
// handled it.
func request(ctx context.Context, f *factory.Factory, c *connection, kd *v1beta1.KluctlDeployment, annotation string, overridesPatch map[string]any) (*v1beta1.ManualRequestResult, error) {
	v := time.Now().Format(time.RFC3339Nano)
	mr := v1beta1.ManualRequest{RequestValue: v}
	if overridesPatch != nil {
		mr.OverridesPatch = &runtime.RawExtension{Raw: rawJSON(overridesPatch)}
	}
	b, err := json.Marshal(mr)
	if err != nil {
		return nil, err
	}
	f.Progress("Patching KluctlDeployment %s/%s", kd.Namespace, kd.Name)
	patch := client.MergeFrom(kd.DeepCopy())
	if kd.Annotations == nil {
		kd.Annotations = map[string]string{}
	}
	kd.Annotations[annotation] = string(b)
	if err := c.cl.Patch(ctx, kd, patch, client.FieldOwner("kluctl")); err != nil {
		return nil, fmt.Errorf("request %s of %s/%s: %w", annotation, kd.Namespace, kd.Name, err)
	}
	f.Progress("Waiting for controller to start processing the request")
	for {
		var cur v1beta1.KluctlDeployment
		if err := c.cl.Get(ctx, types.NamespacedName{Namespace: kd.Namespace, Name: kd.Name}, &cur); err != nil {
			return nil, err
		}
		if rr := requestResult(&cur, annotation); rr != nil && rr.Request.RequestValue == v && rr.EndTime != nil {
			return rr, nil
		}
		select {
		case <-ctx.Done():
			return nil, fmt.Errorf("the controller did not handle the request of %s/%s in time (is kluctl-controller running?): %w", kd.Namespace, kd.Name, ctx.Err())
		case <-time.After(time.Second):
		}
	}
}

func requestResult(kd *v1beta1.KluctlDeployment, annotation string) *v1beta1.ManualRequestResult {
	st := kd.Status
	switch annotation {
	case v1beta1.KluctlRequestDiffAnnotation:
		return st.DiffRequestResult
	case v1beta1.KluctlRequestDeployAnnotation:
		return st.DeployRequestResult
	case v1beta1.KluctlRequestPruneAnnotation:
		return st.PruneRequestResult
	case v1beta1.KluctlRequestValidateAnnotation:
		return st.ValidateRequestResult
	}
	return st.ReconcileRequestResult
}

// report prints the result of a handled request.
func report(ctx context.Context, f *factory.Factory, c *connection, sel *selection, out *output.Flags, name string, rr *v1beta1.ManualRequestResult) error {
	switch name {
	case "reconcile":
	case "validate":
		if rr.ResultId == "" {
			fmt.Fprintln(f.IO.ErrOut, "No validation result was returned.")
			break
		}
		st := results.New(c.clients, results.Options{Namespace: sel.resultNamespace})
		v, err := st.GetValidateResult(ctx, rr.ResultId)
		if err != nil {
			return err
		}
		res := &result.ValidateResult{Ready: v.Ready, Document: v}
		for _, e := range v.Errors {
			res.Errors = append(res.Errors, result.ObjectMessage(e))
		}
		for _, w := range v.Warnings {
			res.Warnings = append(res.Warnings, result.ObjectMessage(w))
		}
		if err := out.WriteValidate(f.IO, res); err != nil {
			return err
		}
	default:
		if rr.ResultId != "" {
			if err := printCommandResult(ctx, f, c, sel, out, rr.ResultId); err != nil {
				return err
			}
		}
	}
	if rr.CommandError != "" {
		return errors.New(strings.TrimSpace(rr.CommandError))
	}
	return nil
}
