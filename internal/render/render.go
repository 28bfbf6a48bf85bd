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

// Render renders every item of the project.
func Render(ctx context.Context, p *project.Project, opts Options) (*Result, error) {
	// Render into a fresh folder; only a successful render replaces
	// OutputDir, so a failed one leaves nothing half-written behind.
	parent := scratchDir()
	if opts.OutputDir != "" {
		parent = filepath.Dir(filepath.Clean(opts.OutputDir))
		if err := os.MkdirAll(parent, 0o755); err != nil {
			return nil, fmt.Errorf("create render output dir: %w", err)
		}
	}
	outDir, err := os.MkdirTemp(parent, ".kluctl-render-")
	if err != nil {
		return nil, err
	}
	keep := false
	defer func() {
		if !keep {
			os.RemoveAll(outDir)
		}
	}()

	res := &Result{
		Target:             p.Target.Name,
		Discriminator:      p.Target.Discriminator,
		IgnoreForDiff:      p.IgnoreForDiff,
		ConflictResolution: p.ConflictResolution,
		SensitiveValues:    p.SensitiveValues(),
	}
	dirCount := map[string]int{}
	jobs := make([]func() error, 0, len(p.Items))
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
		itemOut := filepath.Join(outDir, relOut)
		it := it
		jobs = append(jobs, func() error {
			objs, err := renderItem(ctx, p, it, itemOut, outDir, opts)
			if err != nil {
				return fmt.Errorf("deployment item %s: %w", it.RelDir, err)
			}
			if !it.Config.OnlyRender {
				item.Objects = objs
			}
			return nil
		})
	}
	if err := runBounded(ctx, opts.Concurrency, jobs); err != nil {
		return nil, err
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
	if opts.OutputDir != "" {
		if err := os.RemoveAll(opts.OutputDir); err != nil {
			return nil, fmt.Errorf("replace render output dir: %w", err)
		}
		if err := os.Rename(outDir, opts.OutputDir); err != nil {
			return nil, fmt.Errorf("write render output dir: %w", err)
		}
		keep = true
	}
	return res, nil
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

// renderItem runs the pipeline of one item: templates, Helm, Kustomize,
// post-processing.
func renderItem(ctx context.Context, p *project.Project, it *project.Item, outDir, renderRoot string, opts Options) ([]*unstructured.Unstructured, error) {
	if err := renderItemFiles(ctx, p, it, outDir); err != nil {
		return nil, err
	}
	if err := renderHelmCharts(ctx, p, it, outDir, opts); err != nil {
		return nil, err
	}
	if it.Config.OnlyRender {
		return nil, nil
	}
	// Folders without a kustomization (the common case) are built without
	// running Kustomize when that gives the same objects.
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
	postProcess(p, it, objs)
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

// runBounded runs jobs with at most n in parallel and returns the first
// error; the others are cancelled.
func runBounded(ctx context.Context, n int, jobs []func() error) error {
	if n <= 0 {
		n = 2 * runtime.GOMAXPROCS(0)
	}
	sem := make(chan struct{}, n)
	var wg sync.WaitGroup
	var mu sync.Mutex
	var first error
	for _, j := range jobs {
		mu.Lock()
		failed := first != nil
		mu.Unlock()
		if failed || ctx.Err() != nil {
			break
		}
		sem <- struct{}{}
		wg.Add(1)
		go func(j func() error) {
			defer wg.Done()
			defer func() { <-sem }()
			if err := j(); err != nil {
				mu.Lock()
				if first == nil {
					first = err
				}
				mu.Unlock()
			}
		}(j)
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
