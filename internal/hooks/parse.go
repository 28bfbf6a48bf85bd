package hooks

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/kluctl-go/kluctl/internal/k8s"
)

// Kluctl hook names.
const (
	PreDeploy         = "pre-deploy"
	PostDeploy        = "post-deploy"
	PreDeployInitial  = "pre-deploy-initial"
	PostDeployInitial = "post-deploy-initial"
	PreDeployUpgrade  = "pre-deploy-upgrade"
	PostDeployUpgrade = "post-deploy-upgrade"
)

// Delete policies.
const (
	BeforeHookCreation = "before-hook-creation"
	HookSucceeded      = "hook-succeeded"
	HookFailed         = "hook-failed"
)

// Helm annotations mapped onto Kluctl hooks.
const (
	helmHook             = "helm.sh/hook"
	helmHookWeight       = "helm.sh/hook-weight"
	helmHookDeletePolicy = "helm.sh/hook-delete-policy"
)

// helmHooks maps supported Helm hooks to Kluctl hooks.
var helmHooks = map[string]string{
	"pre-install":  PreDeployInitial,
	"post-install": PostDeployInitial,
	"pre-upgrade":  PreDeployUpgrade,
	"post-upgrade": PostDeployUpgrade,
}

var kluctlHooks = map[string]bool{
	PreDeploy: true, PostDeploy: true,
	PreDeployInitial: true, PostDeployInitial: true,
	PreDeployUpgrade: true, PostDeployUpgrade: true,
}

var deletePolicies = map[string]bool{BeforeHookCreation: true, HookSucceeded: true, HookFailed: true}

// Hook is a parsed hook object.
type Hook struct {
	// Object is the rendered hook object.
	Object *unstructured.Unstructured
	// Hooks are the Kluctl hook names the object runs at.
	Hooks map[string]bool
	// Weight orders hooks of one phase, lowest first.
	Weight int
	// DeletePolicies; before-hook-creation when none is given.
	DeletePolicies map[string]bool
	// Wait for readiness after applying (kluctl.io/hook-wait, default true).
	Wait bool
	// Timeout of the wait; zero means the deploy's readiness timeout.
	Timeout time.Duration
}

// Parse returns the hook described by obj's annotations, or nil if obj is
// not a hook (Helm hooks that Kluctl does not support, such as pre-delete,
// make no hook but a warning).
func Parse(obj *unstructured.Unstructured) (*Hook, []string, error) {
	ann := obj.GetAnnotations()
	h := &Hook{Object: obj, Hooks: map[string]bool{}, DeletePolicies: map[string]bool{}, Wait: true}
	var warnings []string
	for _, n := range splitList(ann[k8s.AnnotationHook]) {
		if !kluctlHooks[n] {
			return nil, nil, fmt.Errorf("unsupported %s %q", k8s.AnnotationHook, n)
		}
		h.Hooks[n] = true
	}
	for _, n := range splitList(ann[helmHook]) {
		if k, ok := helmHooks[n]; ok {
			h.Hooks[k] = true
		} else {
			warnings = append(warnings, fmt.Sprintf("unsupported %s %q ignored", helmHook, n))
		}
	}
	if len(h.Hooks) == 0 {
		return nil, warnings, nil
	}
	w, ok := ann[k8s.AnnotationHookWeight]
	if !ok {
		w, ok = ann[helmHookWeight]
	}
	if ok && strings.TrimSpace(w) != "" {
		n, err := strconv.Atoi(strings.TrimSpace(w))
		if err != nil {
			return nil, nil, fmt.Errorf("parse hook weight %q: %w", w, err)
		}
		h.Weight = n
	}
	for _, p := range append(splitList(ann[k8s.AnnotationHookDeletePolicy]), splitList(ann[helmHookDeletePolicy])...) {
		if !deletePolicies[p] {
			return nil, nil, fmt.Errorf("unsupported hook delete policy %q", p)
		}
		h.DeletePolicies[p] = true
	}
	if len(h.DeletePolicies) == 0 {
		h.DeletePolicies[BeforeHookCreation] = true
	}
	if v, ok := ann[k8s.AnnotationHookWait]; ok {
		b, err := strconv.ParseBool(v)
		if err != nil {
			return nil, nil, fmt.Errorf("parse %s %q: %w", k8s.AnnotationHookWait, v, err)
		}
		h.Wait = b
	}
	if v, ok := ann[k8s.AnnotationHookTimeout]; ok {
		d, err := time.ParseDuration(v)
		if err != nil {
			return nil, nil, fmt.Errorf("parse %s %q: %w", k8s.AnnotationHookTimeout, v, err)
		}
		h.Timeout = d
	}
	return h, warnings, nil
}

func splitList(s string) []string {
	var out []string
	for _, x := range strings.Split(s, ",") {
		if x = strings.TrimSpace(x); x != "" {
			out = append(out, x)
		}
	}
	return out
}

// Phase names the hooks to run before or after an item's objects.
type Phase int

// Phases of an item deploy.
const (
	Pre Phase = iota
	Post
)

// Select returns the hooks that run in phase, in weight order (stable). An
// initial deploy is one where none of the item's non-hook objects existed.
func Select(hooks []*Hook, phase Phase, initial bool) []*Hook {
	names := map[Phase][2]string{Pre: {PreDeploy, PreDeployUpgrade}, Post: {PostDeploy, PostDeployUpgrade}}[phase]
	if initial {
		names[1] = map[Phase]string{Pre: PreDeployInitial, Post: PostDeployInitial}[phase]
	}
	var out []*Hook
	for _, h := range hooks {
		if h.Hooks[names[0]] || h.Hooks[names[1]] {
			out = append(out, h)
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Weight < out[j].Weight })
	return out
}
