package render

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"sync"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/kluctl-go/kluctl/internal/k8s"
	"github.com/kluctl-go/kluctl/internal/project"
	"github.com/kluctl-go/kluctl/internal/render/helm"
	"github.com/kluctl-go/kluctl/internal/render/kustomize"
)

// Options control rendering.
type Options struct {
	// KubernetesVersion is the version Helm charts see (e.g. "1.34.2").
	KubernetesVersion string
	// APIVersions are the API versions Helm charts see.
	APIVersions []string
	// OutputDir keeps the rendered files there (see WriteOutputDir);
	// empty keeps nothing.
	OutputDir string
	// ScratchDir is a private folder the render tree may be written to
	// when Helm or Kustomize need files on disk; the caller removes it.
	// Required when a render needs the disk.
	ScratchDir string
	// Inclusion filters items by tags and folders.
	Inclusion *Inclusion
	// Concurrency bounds parallel item rendering; 0 means 2x CPUs.
	Concurrency int
	// Scope tells namespaced from cluster-scoped kinds; nil means the
	// built-in list (offline).
	Scope *k8s.Scope
	// Decrypt decrypts SOPS files of the items; nil leaves them as they
	// are.
	Decrypt DecryptFunc
	// NewMasker returns a function masking values in text; it masks
	// decrypted values in OutputDir.
	NewMasker func(values []string) func(string) string
	// PullChart pulls Helm charts that were not pre-pulled (see
	// helm.RenderOptions.PullChart).
	PullChart func(ctx context.Context, cfg *helm.Config) (string, error)
}

// Render renders every item of the project that the inclusion selects;
// excluded items are not templated at all (a broken folder in an excluded
// item does not fail the render). Items are templated in memory first;
// when every item is plain YAML with a trivial kustomization (the common
// case) they are built without touching the disk. Otherwise, or when
// OutputDir is set, the rendered tree is written below opts.ScratchDir for
// Helm and Kustomize.
//
// Connected to a cluster (opts.Scope set), namespaces are fixed up as the
// original does; offline, objects keep the namespaces Kustomize and Helm
// gave them. An object rendered by two items is kept only in the later one,
// with a warning.
func Render(ctx context.Context, p *project.Project, opts Options) (*Result, error) {
	in := Inclusion{}
	if opts.Inclusion != nil {
		in = *opts.Inclusion
	}
	if rel, err := filepath.Rel(p.RepoRoot, p.Root); err == nil {
		in.ProjectDir = filepath.ToSlash(rel)
	}
	res := &Result{
		Target:             p.Target.Name,
		Discriminator:      p.Target.Discriminator,
		IgnoreForDiff:      p.IgnoreForDiff,
		ConflictResolution: p.ConflictResolution,
		SensitiveValues:    p.SensitiveValues(),
		DecryptedValues:    append([]string(nil), p.DecryptedValues()...),
		Inclusion:          &in,
	}
	type job struct {
		it     *project.Item
		item   *Item
		relOut string
		files  *renderedFiles
	}
	var jobs []*job
	dirCount := map[string]int{}
	for i, it := range p.Items {
		item := newItem(p, it, &in)
		item.Name = item.Dir
		if item.Name == "" {
			item.Name = fmt.Sprintf("#%d (no folder)", i+1)
		}
		res.Items = append(res.Items, item)
		if it.Dir == "" || item.Excluded {
			continue
		}
		if it.DirErr != nil {
			return nil, fmt.Errorf("deployment item %s: %w", it.RelDir, it.DirErr)
		}
		relOut := item.Dir
		if it.SourceID != "" {
			relOut = it.SourceID + "/" + item.Dir
		}
		if n := dirCount[relOut]; n > 0 {
			relOut = fmt.Sprintf("%s-%d", relOut, n)
		}
		dirCount[relOut]++
		jobs = append(jobs, &job{it: it, item: item, relOut: relOut})
	}

	// Phase 1: templates, in memory; items whose folder is simple are
	// built right away.
	var mu sync.Mutex
	needDisk := opts.OutputDir != ""
	var pending []*job
	err := runBounded(ctx, opts.Concurrency, len(jobs), func(i int) error {
		j := jobs[i]
		files, err := renderItemFiles(ctx, p, j.it)
		if err != nil {
			return fmt.Errorf("deployment item %s: %w", j.it.RelDir, err)
		}
		secrets, err := decryptFiles(ctx, files, j.it.Dir, opts.Decrypt)
		if err != nil {
			return fmt.Errorf("deployment item %s: %w", j.it.RelDir, err)
		}
		if len(secrets) != 0 {
			mu.Lock()
			res.SensitiveValues = append(res.SensitiveValues, secrets...)
			res.DecryptedValues = append(res.DecryptedValues, secrets...)
			mu.Unlock()
		}
		j.files = files
		if !j.it.Config.OnlyRender {
			objs, ok, err := kustomize.BuildSimpleFiles(files.topLevel(), j.it.OverrideNamespace, k8s.IsBuiltinClusterScoped)
			if err != nil {
				return fmt.Errorf("deployment item %s: %w", j.it.RelDir, err)
			}
			if ok {
				if err := postProcess(p, j.it, objs); err != nil {
					return fmt.Errorf("deployment item %s: %w", j.it.RelDir, err)
				}
				j.item.Objects = objs
				return nil
			}
		}
		mu.Lock()
		defer mu.Unlock()
		if !j.it.Config.OnlyRender {
			pending = append(pending, j)
			needDisk = true
		}
		return nil
	})
	if err != nil {
		return nil, err
	}

	// Phase 2: write the tree (all items: kustomizations may refer to other
	// items' folders) and run Helm and Kustomize where needed.
	if needDisk {
		if opts.ScratchDir == "" {
			return nil, fmt.Errorf("render: no scratch folder for Helm and Kustomize")
		}
		outDir, err := os.MkdirTemp(opts.ScratchDir, "tree-")
		if err != nil {
			return nil, fmt.Errorf("render: %w", err)
		}
		defer os.RemoveAll(outDir)
		for _, j := range jobs {
			if err := j.files.write(filepath.Join(outDir, filepath.FromSlash(j.relOut))); err != nil {
				return nil, fmt.Errorf("write rendered files of %s: %w", j.it.RelDir, err)
			}
		}
		err = runBounded(ctx, opts.Concurrency, len(pending), func(i int) error {
			j := pending[i]
			renderRoot := outDir
			if j.it.SourceID != "" {
				renderRoot = filepath.Join(outDir, filepath.FromSlash(j.it.SourceID))
			}
			objs, err := buildOnDisk(ctx, p, j.it, filepath.Join(outDir, filepath.FromSlash(j.relOut)), renderRoot, opts)
			if err != nil {
				return fmt.Errorf("deployment item %s: %w", j.it.RelDir, sourcePaths(err, renderRoot, sourceRoot(p, j.it)))
			}
			j.item.Objects = objs
			return nil
		})
		if err != nil {
			return nil, err
		}
		if opts.OutputDir != "" {
			for _, j := range jobs {
				if err := j.files.reseal(filepath.Join(outDir, filepath.FromSlash(j.relOut))); err != nil {
					return nil, fmt.Errorf("write rendered files of %s: %w", j.it.RelDir, err)
				}
			}
			if err := maskTree(outDir, res.DecryptedValues, opts.NewMasker); err != nil {
				return nil, fmt.Errorf("render output: %w", err)
			}
			if err := WriteOutputDir(outDir, opts.OutputDir); err != nil {
				return nil, err
			}
		}
	}

	if opts.Scope != nil {
		for _, it := range res.Items {
			opts.Scope.AddCRDs(it.Objects)
		}
		for _, it := range res.Items {
			fixNamespaces(opts.Scope, it.Objects)
		}
	}
	res.Warnings = append(res.Warnings, dropDuplicates(res.Items)...)
	return res, nil
}

func newItem(p *project.Project, it *project.Item, in *Inclusion) *Item {
	c := it.Config
	item := &Item{
		Config:           c,
		Tags:             it.Tags,
		Barrier:          c.Barrier,
		Message:          c.Message,
		WaitReadiness:    c.WaitReadiness,
		OnlyRender:       c.OnlyRender,
		AlwaysDeploy:     c.AlwaysDeploy,
		SkipDeleteIfTags: c.SkipDeleteIfTags,
	}
	if it.Dir != "" {
		item.Dir = p.ItemDirLabel(it)
	}
	for _, s := range c.WaitReadinessObjects {
		item.WaitReadinessObjects = append(item.WaitReadinessObjects, k8s.ObjectRef{Group: s.Group, Kind: s.Kind, Name: s.Name, Namespace: s.Namespace})
	}
	for _, s := range c.DeleteObjects {
		item.DeleteObjects = append(item.DeleteObjects, k8s.ObjectRef{Group: s.Group, Kind: s.Kind, Name: s.Name, Namespace: s.Namespace})
	}
	if !c.AlwaysDeploy && !c.OnlyRender && !c.Barrier && !in.Included(it.Tags, item.Dir) {
		item.Excluded = true
	}
	return item
}

// buildOnDisk runs Helm and Kustomize on an item folder written to disk.
func buildOnDisk(ctx context.Context, p *project.Project, it *project.Item, outDir, renderRoot string, opts Options) ([]*unstructured.Unstructured, error) {
	if err := renderHelmCharts(ctx, p, it, outDir, opts); err != nil {
		return nil, err
	}
	objs, ok, err := kustomize.BuildSimple(outDir, it.OverrideNamespace, k8s.IsBuiltinClusterScoped)
	if err != nil {
		return nil, err
	}
	if !ok {
		if err := prepareKustomization(outDir, it.OverrideNamespace); err != nil {
			return nil, err
		}
		objs, err = kustomize.Build(ctx, outDir, kustomize.Options{Root: renderRoot, SourceRoot: sourceRoot(p, it)})
		if err != nil {
			return nil, err
		}
	}
	if err := postProcess(p, it, objs); err != nil {
		return nil, err
	}
	return objs, nil
}

func renderHelmCharts(ctx context.Context, p *project.Project, it *project.Item, outDir string, opts Options) error {
	return filepath.WalkDir(outDir, func(path string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() || (d.Name() != "helm-chart.yml" && d.Name() != "helm-chart.yaml") {
			return nil
		}
		cfg, err := helm.LoadConfig(path)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(outDir, filepath.Dir(path))
		values, err := helm.FindValuesFile(filepath.Dir(path))
		if err != nil {
			return err
		}
		_, err = helm.WriteOutput(ctx, cfg, helm.RenderOptions{
			ProjectRoot: sourceRoot(p, it),
			SourceDir:   filepath.Join(it.Dir, rel),
			ChartFile:   path,
			ValuesFile:  values,
			KubeVersion: opts.KubernetesVersion,
			APIVersions: opts.APIVersions,
			PullChart:   opts.PullChart,
			// Items of git includes also find their charts in the
			// including project's .helm-charts (helm-pull puts them there).
			ExtraChartsDirs: extraChartsDirs(p, it),
		})
		return err
	})
}

// runBounded runs f(0..n-1) with at most limit in parallel and returns the
// first error; no new work starts after an error.
func runBounded(ctx context.Context, limit, n int, f func(int) error) error {
	if limit <= 0 {
		limit = 2 * runtime.GOMAXPROCS(0)
	}
	sem := make(chan struct{}, limit)
	var wg sync.WaitGroup
	var mu sync.Mutex
	var first error
	for i := 0; i < n; i++ {
		mu.Lock()
		failed := first != nil
		mu.Unlock()
		if failed || ctx.Err() != nil {
			break
		}
		sem <- struct{}{}
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			defer func() { <-sem }()
			if err := f(i); err != nil {
				mu.Lock()
				if first == nil {
					first = err
				}
				mu.Unlock()
			}
		}(i)
	}
	wg.Wait()
	if first == nil && ctx.Err() != nil {
		return ctx.Err()
	}
	return first
}

// sourceRoot is the root of the repository an item's files come from:
// the project's, or a git include's.
func sourceRoot(p *project.Project, it *project.Item) string {
	if it.SourceRoot != "" {
		return it.SourceRoot
	}
	return p.RepoRoot
}

func extraChartsDirs(p *project.Project, it *project.Item) []string {
	if it.SourceID == "" {
		return nil
	}
	return []string{filepath.Join(p.Root, helm.ChartsDirName)}
}
