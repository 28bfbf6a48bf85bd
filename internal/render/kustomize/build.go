package kustomize

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/kustomize/api/konfig"
	"sigs.k8s.io/kustomize/api/krusty"
	"sigs.k8s.io/kustomize/api/types"
)

// Options configure Build.
type Options struct {
	// Root is the folder nothing may be loaded from outside of, usually the
	// root of the (rendered) project. Required; the built folder must be
	// inside it.
	Root string
	// SourceRoot is the folder Root mirrors (the repository the rendered
	// tree comes from), used to explain missing files; optional.
	SourceRoot string
}

// Build runs `kustomize build` on dir and returns the objects in
// kustomize's output order: the order of the resources, as Kluctl builds
// them (no kind reordering, unless the kustomization sets sortOptions). When dir has no kustomization file, the
// one GenerateKustomization returns is used without writing it to disk.
// Only builtin plugins run; files outside opts.Root are refused.
func Build(ctx context.Context, dir string, opts Options) ([]*unstructured.Unstructured, error) {
	objs, err := build(ctx, dir, opts)
	if err != nil {
		return nil, fmt.Errorf("kustomize build %s: %w", dir, err)
	}
	return objs, nil
}

func build(ctx context.Context, dir string, opts Options) (objs []*unstructured.Unstructured, err error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if opts.Root == "" {
		return nil, errors.New("project root is not set")
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, err
	}
	resolved, err := filepath.EvalSymlinks(abs)
	if err != nil {
		return nil, err
	}
	overlay := map[string][]byte{}
	kfile, err := FindKustomization(resolved)
	if err != nil {
		return nil, err
	}
	if kfile == "" {
		resources, err := generatedResources(resolved)
		if err != nil {
			return nil, err
		}
		if len(resources) == 0 {
			return nil, errors.New("folder has no kustomization file and no .yaml or .yml files")
		}
		gen, err := GenerateKustomization(resolved)
		if err != nil {
			return nil, err
		}
		overlay[filepath.Join(resolved, konfig.DefaultKustomizationFileName())] = gen
	}
	fsys, err := newRootFS(opts.Root, overlay)
	if err != nil {
		return nil, err
	}
	fsys.source = opts.SourceRoot
	if _, err := fsys.resolve(resolved); err != nil {
		return nil, err
	}

	key, err := schemaKey(kfile)
	if err != nil {
		return nil, err
	}
	schemaGate.enter(key)
	defer schemaGate.leave()

	// kustomize panics on some invalid input; report it as an error.
	defer func() {
		if r := recover(); r != nil {
			objs, err = nil, fmt.Errorf("kustomize panicked: %v", r)
		}
	}()
	k := krusty.MakeKustomizer(&krusty.Options{
		Reorder:          krusty.ReorderOptionNone,
		LoadRestrictions: types.LoadRestrictionsNone,
		PluginConfig:     types.DisabledPluginConfig(),
	})
	rm, err := k.Run(fsys, resolved)
	if err != nil {
		return nil, err
	}
	for _, r := range rm.Resources() {
		m, err := r.Map()
		if err != nil {
			return nil, fmt.Errorf("object %s: %w", r.CurId(), err)
		}
		// Kustomize decodes integers as int; unstructured objects must
		// hold int64 (DeepCopy panics on int).
		n, ok := normalize(m, true)
		if !ok {
			return nil, fmt.Errorf("object %s: holds a value that is not valid JSON (binary or non-finite number); quote it", r.CurId())
		}
		objs = append(objs, &unstructured.Unstructured{Object: n.(map[string]any)})
	}
	return objs, nil
}
