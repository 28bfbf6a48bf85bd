package engine

import (
	"context"
	"encoding/json"
	"time"

	"github.com/google/uuid"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/kluctl-go/kluctl/internal/deploy"
	"github.com/kluctl-go/kluctl/internal/gitinfo"
	"github.com/kluctl-go/kluctl/internal/k8s"
	"github.com/kluctl-go/kluctl/internal/project"
	"github.com/kluctl-go/kluctl/internal/result"
)

// commandFlags are the options a command result records.
type commandFlags struct {
	command string
	deploy  deploy.Options
}

// header is what every result document of the target shares: keys, git
// and cluster info. It is built once per Target.
type header struct {
	projectKey result.ProjectKey
	gitInfo    result.GitInfo
	clusterID  string
	warnings   []result.ObjectMessage
}

func (t *Target) header(ctx context.Context) *header {
	t.headerOnce.Do(func() {
		h := &header{}
		var err error
		h.gitInfo, h.projectKey, err = gitinfo.Build(t.Project.GitRoot, t.Project.Root)
		if err != nil {
			h.warnings = append(h.warnings, result.ObjectMessage{Message: t.masker.String("git info of the project: " + err.Error())})
		}
		if t.Cluster != nil {
			id, err := t.Cluster.ID(ctx)
			switch {
			case apierrors.IsForbidden(err):
				h.warnings = append(h.warnings, result.ObjectMessage{Message: "failed to determine cluster ID due to missing get/list permissions for the kube-system namespace; command results are stored without a cluster id"})
			case err != nil:
				h.warnings = append(h.warnings, result.ObjectMessage{Message: t.masker.String("failed to determine cluster ID: " + err.Error())})
			}
			h.clusterID = id
		}
		t.hdr = h
	})
	return t.hdr
}

func (t *Target) targetKey(h *header) result.TargetKey {
	return result.TargetKey{TargetName: t.Name(), ClusterID: h.clusterID, Discriminator: t.Discriminator()}
}

// document builds the command result document of res, masked.
func (t *Target) document(ctx context.Context, res *result.Result, f commandFlags) *result.CommandResult {
	h := t.header(ctx)
	end := time.Now()
	inc := t.opts.Inclusion
	cr := &result.CommandResult{
		ID:         uuid.NewString(),
		ProjectKey: h.projectKey,
		TargetKey:  t.targetKey(h),
		Target:     t.documentTarget(),
		Command: result.CommandInfo{
			Initiator:             result.InitiatorCommandLine,
			StartTime:             metav1.NewTime(t.loadedAt),
			EndTime:               metav1.NewTime(end),
			Command:               f.command,
			Target:                t.opts.Target,
			TargetNameOverride:    t.opts.TargetNameOverride,
			ContextOverride:       t.opts.Context,
			Args:                  t.maskedMap(t.opts.Args),
			Images:                t.Project.Images.Fixed(),
			DryRun:                f.deploy.DryRun,
			NoWait:                f.deploy.NoWait,
			ForceApply:            f.deploy.ForceApply,
			ReplaceOnError:        f.deploy.ReplaceOnError,
			ForceReplaceOnError:   f.deploy.ForceReplaceOnError,
			AbortOnError:          f.deploy.AbortOnError,
			IncludeTags:           inc.IncludeTags,
			ExcludeTags:           inc.ExcludeTags,
			IncludeDeploymentDirs: inc.IncludeDirs,
			ExcludeDeploymentDirs: inc.ExcludeDirs,
		},
		GitInfo:             h.gitInfo,
		ClusterInfo:         result.ClusterInfo{ClusterID: h.clusterID},
		Deployment:          t.documentDeployment(),
		RenderedObjectsHash: t.ObjectsHash,
		Objects:             res.DocumentObjects(t.masker),
		Errors:              result.Messages(res.Errors),
		Warnings:            result.Messages(res.Warnings),
		SeenImages:          t.Project.Images.Seen(),
	}
	return cr
}

// documentTarget is the target as deployed: its definition with the name,
// discriminator and kube context actually used.
func (t *Target) documentTarget() result.Target {
	def := t.Project.Target.Vars
	out := result.Target{Name: t.Name(), Discriminator: t.Discriminator()}
	if t.Cluster != nil && t.Cluster.Context != "" {
		c := t.Cluster.Context
		out.Context = &c
	} else if c, ok := def["context"].(string); ok && c != "" {
		out.Context = &c
	}
	if a, ok := def["args"].(map[string]any); ok {
		out.Args = t.maskedMap(a)
	}
	if a, ok := def["aws"].(map[string]any); ok {
		out.Aws = a
	}
	if imgs, ok := def["images"].([]any); ok && len(imgs) != 0 {
		t.remarshal(imgs, &out.Images)
	}
	return out
}

// documentDeployment is the root deployment project with what each item
// rendered or included, masked.
func (t *Target) documentDeployment() *result.Deployment {
	if t.Project.Deployment == nil {
		return nil
	}
	rendered := map[*project.ItemConfig][]k8s.ObjectRef{}
	for _, it := range t.Rendered.Items {
		if it.Config == nil {
			continue
		}
		for _, o := range it.Objects {
			rendered[it.Config] = append(rendered[it.Config], k8s.RefOf(o))
		}
	}
	var build func(cfg *project.DeploymentConfig, depth int) *result.Deployment
	build = func(cfg *project.DeploymentConfig, depth int) *result.Deployment {
		d := &result.Deployment{DeploymentConfig: *cfg}
		d.DeploymentConfig.Deployments = nil
		for i := range cfg.Deployments {
			c := &cfg.Deployments[i]
			item := result.DeploymentItem{ItemConfig: *c, RenderedObjects: rendered[c]}
			if inc := t.Project.Included[c]; inc != nil && depth < 64 {
				item.RenderedInclude = build(inc, depth+1)
			}
			d.Deployments = append(d.Deployments, item)
		}
		return d
	}
	var out result.Deployment
	t.remarshal(build(t.Project.Deployment, 0), &out)
	return &out
}

// maskedMap returns m with sensitive values masked; nil for an empty map.
func (t *Target) maskedMap(m map[string]any) map[string]any {
	if len(m) == 0 {
		return nil
	}
	out, _ := t.masker.Value(m).(map[string]any)
	return out
}

// remarshal copies in to out through JSON, masking every string on the
// way.
func (t *Target) remarshal(in, out any) {
	b, err := json.Marshal(in)
	if err != nil {
		return
	}
	var generic any
	if err := json.Unmarshal(b, &generic); err != nil {
		return
	}
	if b, err = json.Marshal(t.masker.Value(generic)); err == nil {
		_ = json.Unmarshal(b, out)
	}
}

// validateDocument builds the validate result document.
func (t *Target) validateDocument(ctx context.Context, res *result.ValidateResult) *result.ValidateDocument {
	h := t.header(ctx)
	v := &result.ValidateDocument{
		ID:                  uuid.NewString(),
		ProjectKey:          h.projectKey,
		TargetKey:           t.targetKey(h),
		RenderedObjectsHash: t.ObjectsHash,
		StartTime:           metav1.NewTime(t.loadedAt),
		EndTime:             metav1.NewTime(time.Now()),
		Ready:               res.Ready,
		Errors:              result.Messages(res.Errors),
		Warnings:            result.Messages(res.Warnings),
		Results:             res.Results,
	}
	for _, o := range res.Objects {
		if !o.Ready && len(o.Errors) == 0 {
			v.Errors = append(v.Errors, result.DeploymentError{Ref: o.Ref, Message: "not ready"})
		}
	}
	return v
}
