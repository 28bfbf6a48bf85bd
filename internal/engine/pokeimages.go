package engine

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/types"

	"github.com/kluctl-go/kluctl/internal/deploy"
	"github.com/kluctl-go/kluctl/internal/diff"
	"github.com/kluctl-go/kluctl/internal/k8s"
	"github.com/kluctl-go/kluctl/internal/live"
	"github.com/kluctl-go/kluctl/internal/project"
	"github.com/kluctl-go/kluctl/internal/prune"
	"github.com/kluctl-go/kluctl/internal/result"
)

// PokeImagesOptions configure PokeImages.
type PokeImagesOptions struct {
	// DryRun sends the patches as server-side dry-runs.
	DryRun bool
	// Concurrency bounds parallel requests; 0 means 16.
	Concurrency int
	// OwnedIndex, when set, answers the orphan search (see prune.Index).
	OwnedIndex *prune.Index
}

// podContainerLists are the container lists whose images poke-images
// replaces, as the original: those of a pod template.
var podContainerLists = [][]string{
	{"spec", "template", "spec", "containers"},
	{"spec", "template", "spec", "initContainers"},
}

// pokeRetries bounds re-reading an object whose containers changed
// between read and patch.
const pokeRetries = 5

// PokeImages replaces the images of the deployed objects of the target
// with those images.get_image() resolved to, without deploying anything
// else: for each object with seen images, the image of every container
// named like a seen image's container is patched (a JSON patch of only
// those fields; everything else stays as it is in the cluster). Objects not
// deployed yet are skipped with a warning. The result lists the changed
// objects and the orphans, as a deploy's does.
func (t *Target) PokeImages(ctx context.Context, opts PokeImagesOptions) (*result.Result, error) {
	c, err := t.clients()
	if err != nil {
		return nil, err
	}
	if opts.Concurrency <= 0 {
		opts.Concurrency = 16
	}
	if opts.OwnedIndex == nil {
		opts.OwnedIndex = t.Cluster.Index
	}
	if opts.DryRun {
		t.em.info("Running server-side dry-run of poke-images against %s...", t.ClusterName())
	} else {
		t.em.info("Poking images into %s...", t.ClusterName())
	}
	seen := sortedSeen(t.Project.Images.Seen())
	p := &poker{t: t, c: c, opts: opts, rendered: t.renderedObjects(), masker: diff.NewMasker(t.Rendered.SensitiveValues)}
	p.run(ctx, seen)
	res := &p.res
	res.Command, res.Target, res.DryRun = "poke-images", t.Rendered.Target, opts.DryRun
	res.Sort()
	out := t.finish(ctx, res, commandFlags{command: "poke-images", deploy: deploy.Options{DryRun: opts.DryRun}})
	if out.Document != nil {
		out.Document.SeenImages = withDeployed(seen, p.rendered, p.remote.Get)
	}
	return out, out.Err()
}

// poker holds the state of one poke-images run.
type poker struct {
	t        *Target
	c        *k8s.Clients
	opts     PokeImagesOptions
	rendered map[k8s.ObjectRef]*unstructured.Unstructured
	remote   live.Objects
	masker   *diff.Masker

	mu  sync.Mutex
	res result.Result
}

func (p *poker) run(ctx context.Context, seen []project.FixedImage) {
	var objs []*unstructured.Unstructured
	for _, it := range p.t.Rendered.Items {
		objs = append(objs, it.Objects...)
	}
	remote, err := live.Load(ctx, p.c, objs, live.Options{Concurrency: p.opts.Concurrency, Selector: k8s.DiscriminatorSelector(p.t.Discriminator())})
	if err != nil {
		p.fail(k8s.ObjectRef{}, err)
		return
	}
	p.remote = remote
	for _, o := range objs {
		ref := k8s.RefOf(o)
		p.res.SetBodies(ref, o, remote.Get(ref), nil)
	}

	var orphans chan struct{}
	if p.t.Discriminator() != "" {
		orphans = make(chan struct{})
		go func() {
			defer close(orphans)
			p.findOrphans(ctx)
		}()
	}

	byObject := map[k8s.ObjectRef][]project.FixedImage{}
	var order []k8s.ObjectRef
	for _, fi := range seen {
		ref, ok := imageRef(fi)
		if !ok {
			continue
		}
		if p.rendered[ref] == nil {
			p.fail(objectRef(fi), errors.New("object not found while trying to associate image with deployed object"))
			continue
		}
		if byObject[ref] == nil {
			order = append(order, ref)
		}
		byObject[ref] = append(byObject[ref], fi)
	}
	sem := make(chan struct{}, p.opts.Concurrency)
	var wg sync.WaitGroup
	for _, ref := range order {
		wg.Add(1)
		go func() {
			defer wg.Done()
			select {
			case sem <- struct{}{}:
			case <-ctx.Done():
				p.fail(ref, fmt.Errorf("failed replacing images of %s: %w", ref, ctx.Err()))
				return
			}
			defer func() { <-sem }()
			p.poke(ctx, p.rendered[ref], byObject[ref])
		}()
	}
	wg.Wait()
	if orphans != nil {
		<-orphans
	}
}

// poke patches the images of one object; lv is its live version.
func (p *poker) poke(ctx context.Context, local *unstructured.Unstructured, images []project.FixedImage) {
	ref := k8s.RefOf(local)
	lv := p.remote.Get(ref)
	if lv == nil {
		p.warn(ref, "remote object not found, skipped image replacement")
		return
	}
	ri, _, err := p.c.Resource(local.GroupVersionKind(), local.GetNamespace())
	if err != nil {
		p.fail(ref, err)
		return
	}
	cur := lv
	for attempt := 1; ; attempt++ {
		ops := imagePatch(cur.Object, images)
		if len(ops) == 0 {
			return // every image is already the wanted one
		}
		data, err := json.Marshal(ops)
		if err != nil {
			p.fail(ref, err)
			return
		}
		wctx, warns := k8s.WithWarnings(ctx)
		patched, err := ri.Patch(wctx, ref.Name, types.JSONPatchType, data, metav1.PatchOptions{FieldManager: k8s.FieldManager, DryRun: p.dryRun()})
		p.warn(ref, warns.Messages()...)
		if err == nil {
			p.record(local, lv, patched)
			return
		}
		// A failed test (422) or a conflict means the containers changed
		// since they were read: read again and retry.
		if attempt >= pokeRetries || !(apierrors.IsInvalid(err) || apierrors.IsConflict(err)) {
			p.fail(ref, fmt.Errorf("patch images: %w", err))
			return
		}
		cur, err = ri.Get(ctx, ref.Name, metav1.GetOptions{})
		if apierrors.IsNotFound(err) {
			p.warn(ref, "remote object not found, skipped image replacement")
			return
		}
		if err != nil {
			p.fail(ref, err)
			return
		}
	}
}

// jsonPatchOp is one operation of a JSON patch (RFC 6902).
type jsonPatchOp struct {
	Op    string `json:"op"`
	Path  string `json:"path"`
	Value any    `json:"value"`
}

// imagePatch returns the JSON patch that sets the image of every container
// named by a seen image to its result image (a later seen image of the
// same container wins, as in the original). Each replace is guarded by a
// test of the container's name, so that a list changed in between fails
// the patch instead of changing the wrong container. Containers that
// already have the image need no operation.
func imagePatch(obj map[string]any, images []project.FixedImage) []jsonPatchOp {
	var ops []jsonPatchOp
	for _, list := range podContainerLists {
		containers, _, _ := unstructured.NestedSlice(obj, list...)
		base := "/" + strings.Join(list, "/")
		for i, c := range containers {
			cm, ok := c.(map[string]any)
			if !ok {
				continue
			}
			name, _ := cm["name"].(string)
			want, found := "", false
			for _, fi := range images {
				if fi.Container != nil && *fi.Container == name {
					want, found = fi.ResultImage, true
				}
			}
			if !found || cm["image"] == want {
				continue
			}
			at := base + "/" + strconv.Itoa(i)
			ops = append(ops,
				jsonPatchOp{Op: "test", Path: at + "/name", Value: name},
				jsonPatchOp{Op: "add", Path: at + "/image", Value: want})
		}
	}
	return ops
}

func (p *poker) dryRun() []string {
	if p.opts.DryRun {
		return []string{metav1.DryRunAll}
	}
	return nil
}

// record stores the patched object and its changes.
func (p *poker) record(local, lv, patched *unstructured.Unstructured) {
	ref := k8s.RefOf(local)
	changes, err := diff.Object(lv, patched, local, diff.Options{IgnoreForDiff: p.t.Rendered.IgnoreForDiff, Masker: p.masker})
	p.mu.Lock()
	defer p.mu.Unlock()
	p.res.SetBodies(ref, nil, nil, patched)
	if err != nil {
		p.res.Warnings = append(p.res.Warnings, result.ObjectMessage{Ref: ref, Message: p.masker.String("diff failed: " + err.Error())})
		return
	}
	if len(changes) != 0 {
		p.res.ChangedObjects = append(p.res.ChangedObjects, result.ChangedObject{Ref: ref, Changes: changes})
	}
}

// findOrphans records the target's orphan objects, as deploy lists them.
func (p *poker) findOrphans(ctx context.Context) {
	owned, warnings, err := prune.OrphanObjects(ctx, p.c, p.t.Rendered, prune.Options{Concurrency: p.opts.Concurrency, Index: p.opts.OwnedIndex})
	p.warn(k8s.ObjectRef{}, warnings...)
	if err != nil {
		p.fail(k8s.ObjectRef{}, err)
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.res.OrphanObjects = prune.Refs(owned)
	for _, o := range owned {
		p.res.SetBodies(o.Ref, nil, o.Body(), nil)
	}
}

func (p *poker) warn(ref k8s.ObjectRef, msgs ...string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, m := range msgs {
		p.res.Warnings = append(p.res.Warnings, result.ObjectMessage{Ref: ref, Message: p.masker.String(m)})
	}
}

func (p *poker) fail(ref k8s.ObjectRef, err error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.res.Errors = append(p.res.Errors, result.ObjectMessage{Ref: ref, Message: p.masker.String(err.Error())})
}

// objectRef is the reference of a seen image's object, with its version.
func objectRef(fi project.FixedImage) k8s.ObjectRef {
	o := fi.Object
	return k8s.ObjectRef{Group: o.Group, Version: o.Version, Kind: o.Kind, Name: o.Name, Namespace: o.Namespace}
}
