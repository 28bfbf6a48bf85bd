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
	// OutputDir keeps the rendered files there; empty uses a temporary
	// folder that is removed afterwards.
	OutputDir string
	// Inclusion filters items by tags and folders.
	Inclusion *Inclusion
	// Concurrency bounds parallel item rendering; 0 means 2x CPUs.
	Concurrency int
	// Scope tells namespaced from cluster-scoped kinds; nil means the
	// built-in list (offline).
	Scope *k8s.Scope
}

// Render renders every item of the project. Items are templated in
// memory first; when every item is plain YAML with a trivial kustomization
// (the common case) they are built without touching the disk. Otherwise, or
// when OutputDir is set, the rendered tree is written to a scratch folder
// (memory-backed where possible) for Helm and Kustomize.
func Render(ctx context.Context, p *project.Project, opts Options) (*Result, error) {
	res := &Result{
		Target:             p.Target.Name,
		Discriminator:      p.Target.Discriminator,
		IgnoreForDiff:      p.IgnoreForDiff,
		ConflictResolution: p.ConflictResolution,
		SensitiveValues:    p.SensitiveValues(),
	}
	type job struct {
		it     *project.Item
		item   *Item
		relOut string
		files  *renderedFiles
	}
	var jobs []*job
	dirCount := map[string]int{}
	for _, it := range p.Items {
		item := newItem(p, it, opts.Inclusion)
		res.Items = append(res.Items, item)
		if it.Dir == "" {
			continue
		}
		relOut := it.RelDir
		if n := dirCount[it.RelDir]; n > 0 {
			relOut = fmt.Sprintf("%s-%d", it.RelDir, n)
		}
		dirCount[it.RelDir]++
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
		outDir, cleanup, err := scratchTree(opts.OutputDir)
		if err != nil {
			return nil, err
		}
		defer cleanup()
		for _, j := range jobs {
			if err := j.files.write(filepath.Join(outDir, j.relOut)); err != nil {
				return nil, fmt.Errorf("write rendered files of %s: %w", j.it.RelDir, err)
			}
		}
		err = runBounded(ctx, opts.Concurrency, len(pending), func(i int) error {
			j := pending[i]
			objs, err := buildOnDisk(ctx, p, j.it, filepath.Join(outDir, j.relOut), outDir, opts)
			if err != nil {
				return fmt.Errorf("deployment item %s: %w", j.it.RelDir, err)
			}
			j.item.Objects = objs
			return nil
		})
		if err != nil {
			return nil, err
		}
		if opts.OutputDir != "" {
			if err := publish(outDir, opts.OutputDir); err != nil {
				return nil, err
			}
		}
	}

	scope := opts.Scope
	if scope == nil {
		scope = k8s.NewScope(nil)
	}
	for _, it := range res.Items {
		scope.AddCRDs(it.Objects)
	}
	for _, it := range res.Items {
		fixNamespaces(scope, it.Objects)
	}
	return res, nil
}

// scratchTree creates the folder the rendered tree is written to: next to
// outputDir when one is requested (so that it can be renamed into place),
// else in the scratch folder. cleanup removes it unless it was published.
func scratchTree(outputDir string) (string, func(), error) {
	parent := scratchDir()
	if outputDir != "" {
		parent = filepath.Dir(filepath.Clean(outputDir))
		if err := os.MkdirAll(parent, 0o755); err != nil {
			return "", nil, fmt.Errorf("create render output dir: %w", err)
		}
	}
	dir, err := os.MkdirTemp(parent, ".kluctl-render-")
	if err != nil {
		return "", nil, err
	}
	return dir, func() { os.RemoveAll(dir) }, nil
}

// publish replaces outputDir by the successfully rendered tree, so that a
// failed render never leaves half-written output behind.
func publish(tree, outputDir string) error {
	if err := os.RemoveAll(outputDir); err != nil {
		return fmt.Errorf("replace render output dir: %w", err)
	}
	if err := os.Rename(tree, outputDir); err != nil {
		return fmt.Errorf("write render output dir: %w", err)
	}
	return nil
}

func newItem(p *project.Project, it *project.Item, in *Inclusion) *Item {
	c := it.Config
	item := &Item{
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
	if !c.AlwaysDeploy && !c.OnlyRender && !in.Included(it.Tags, it.RelDir, false) {
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
		objs, err = kustomize.Build(ctx, outDir, kustomize.Options{Root: renderRoot})
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
			ProjectRoot: p.Root,
			SourceDir:   filepath.Join(it.Dir, rel),
			ChartFile:   path,
			ValuesFile:  values,
			KubeVersion: opts.KubernetesVersion,
			APIVersions: opts.APIVersions,
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

// scratchDir returns where temporary renders go: a memory-backed tmpfs when
// the system has one (rendering writes thousands of small files), else the
// system temp folder.
func scratchDir() string {
	const shm = "/dev/shm"
	if st, err := os.Stat(shm); err == nil && st.IsDir() {
		if f, err := os.CreateTemp(shm, ".kluctl-probe-"); err == nil {
			f.Close()
			os.Remove(f.Name())
			return shm
		}
	}
	return os.TempDir()
}
