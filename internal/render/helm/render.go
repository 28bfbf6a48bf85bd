package helm

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"helm.sh/helm/v3/pkg/action"
	"helm.sh/helm/v3/pkg/chart"
	"helm.sh/helm/v3/pkg/chart/loader"
	"helm.sh/helm/v3/pkg/chartutil"
	"helm.sh/helm/v3/pkg/release"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"sigs.k8s.io/yaml"
)

// InstallNamespaceAnnotation is set on every rendered object when
// helm-chart.yaml names a namespace, so that post-processing can put
// namespaced objects without a namespace into the release namespace (what
// `helm install` would do and `helm template` does not).
const InstallNamespaceAnnotation = "kluctl.io/helm-install-namespace"

// RenderOptions are the inputs of Render besides the chart config.
type RenderOptions struct {
	// ProjectRoot is the root of the Kluctl project (the original source
	// folder, not the rendered copy). Local charts must be inside it and
	// .helm-charts is searched up to it. Required.
	ProjectRoot string
	// SourceDir is the project folder that ChartFile's folder was rendered
	// from; local chart paths are relative to it. Defaults to the folder of
	// ChartFile.
	SourceDir string
	// ChartFile is the rendered helm-chart.yaml; the output is written
	// next to it.
	ChartFile string
	// ValuesFile is the rendered helm-values.yaml; empty means no values.
	ValuesFile string
	// KubeVersion is the Kubernetes version for .Capabilities.KubeVersion,
	// e.g. "1.34.2"; empty uses Helm's default.
	KubeVersion string
	// APIVersions are added to .Capabilities.APIVersions ("group/version"
	// or "group/version/Kind"), as `helm template --api-versions` does.
	APIVersions []string
	// DefaultNamespace is the release namespace when helm-chart.yaml has
	// none; empty means "default", as in Kluctl.
	DefaultNamespace string
	// ExtraChartsDirs are .helm-charts folders looked in after the
	// nearest one: the including project's, for items of git includes.
	ExtraChartsDirs []string
	// PullChart pulls a chart that is not in .helm-charts (into a shared
	// cache) and returns its folder; nil makes such a chart an error.
	PullChart func(ctx context.Context, cfg *Config) (string, error)
}

// dirs returns the cleaned absolute project root and source folder.
func (o RenderOptions) dirs() (root, srcDir string, err error) {
	if o.ProjectRoot == "" {
		return "", "", errors.New("render helm chart: project root is not set")
	}
	root, err = filepath.Abs(o.ProjectRoot)
	if err != nil {
		return "", "", fmt.Errorf("render helm chart: %w", err)
	}
	srcDir = o.SourceDir
	if srcDir == "" {
		srcDir = filepath.Dir(o.ChartFile)
	}
	srcDir, err = filepath.Abs(srcDir)
	if err != nil {
		return "", "", fmt.Errorf("render helm chart: %w", err)
	}
	if !within(root, srcDir) {
		return "", "", fmt.Errorf("render helm chart %s: folder %s is outside the repository %s", o.ChartFile, srcDir, root)
	}
	return root, srcDir, nil
}

// Render renders the chart of cfg as `helm template --include-crds` (or
// --skip-crds when skipCRDs is set) with the release name and namespace of
// cfg. It returns a multi-document YAML stream: the chart's CRDs, its
// manifests in Helm's install order, then its hooks except test hooks.
// When cfg names a namespace every object carries
// InstallNamespaceAnnotation. The chart is loaded once per call; Render
// keeps no state between calls and is safe for concurrent use.
func Render(ctx context.Context, cfg *Config, opts RenderOptions) ([]byte, error) {
	out, err := render(ctx, cfg, opts)
	if err != nil {
		return nil, fmt.Errorf("render helm chart %s for release %s (%s): %w", cfg.Name(), cfg.ReleaseName, cfg.File, err)
	}
	return out, nil
}

// WriteOutput renders like Render and writes the result into the output
// file next to opts.ChartFile, returning its path.
func WriteOutput(ctx context.Context, cfg *Config, opts RenderOptions) (string, error) {
	p, err := cfg.OutputPath(opts.ChartFile)
	if err != nil {
		return "", err
	}
	out, err := Render(ctx, cfg, opts)
	if err != nil {
		return "", err
	}
	if err := os.WriteFile(p, out, 0o600); err != nil {
		return "", fmt.Errorf("write rendered helm chart: %w", err)
	}
	return p, nil
}

// FindValuesFile returns helm-values.yml or helm-values.yaml in dir (the
// .yml name wins, as in Kluctl), or "" when there is neither.
func FindValuesFile(dir string) (string, error) {
	for _, name := range []string{"helm-values.yml", "helm-values.yaml"} {
		p := filepath.Join(dir, name)
		st, err := os.Stat(p)
		if err == nil && !st.IsDir() {
			return p, nil
		}
		if err != nil && !errors.Is(err, os.ErrNotExist) {
			return "", fmt.Errorf("find helm values: %w", err)
		}
	}
	return "", nil
}

func render(ctx context.Context, cfg *Config, opts RenderOptions) ([]byte, error) {
	dir, err := LocateChart(cfg, opts)
	var notPulled *ChartNotPulledError
	if errors.As(err, &notPulled) && notPulled.PulledVersion == "" && opts.PullChart != nil {
		dir, err = opts.PullChart(ctx, cfg)
	}
	if err != nil {
		return nil, err
	}
	chrt, err := loader.Load(dir)
	if err != nil {
		return nil, fmt.Errorf("load chart %s: %w", dir, err)
	}
	switch chrt.Metadata.Type {
	case "", "application":
	default:
		return nil, fmt.Errorf("%s charts are not installable", chrt.Metadata.Type)
	}
	vals := chartutil.Values{}
	if opts.ValuesFile != "" {
		vals, err = chartutil.ReadValuesFile(opts.ValuesFile)
		if err != nil {
			return nil, fmt.Errorf("read values %s: %w", opts.ValuesFile, err)
		}
	}
	rel, err := install(ctx, cfg, opts, chrt, vals)
	if err != nil {
		return nil, err
	}
	objs, err := parseManifests(rel.Manifest)
	if err != nil {
		return nil, err
	}
	for _, h := range rel.Hooks {
		if isTestHook(h) {
			continue
		}
		hookObjs, err := parseManifests(h.Manifest)
		if err != nil {
			return nil, fmt.Errorf("hook %s: %w", h.Path, err)
		}
		objs = append(objs, hookObjs...)
	}
	return marshalObjects(objs, cfg.Namespace)
}

// install runs a client-only dry-run install, which is what `helm
// template` does.
func install(ctx context.Context, cfg *Config, opts RenderOptions, chrt *chart.Chart, vals chartutil.Values) (*release.Release, error) {
	ns := cfg.Namespace
	if ns == "" {
		ns = opts.DefaultNamespace
	}
	if ns == "" {
		ns = "default"
	}
	client := action.NewInstall(&action.Configuration{Log: func(string, ...any) {}})
	client.DryRun = true
	client.ClientOnly = true
	client.Replace = true
	client.ReleaseName = cfg.ReleaseName
	client.Namespace = ns
	client.SkipCRDs = cfg.SkipCRDs
	client.IncludeCRDs = !cfg.SkipCRDs
	client.APIVersions = chartutil.VersionSet(opts.APIVersions)
	if opts.KubeVersion != "" {
		kv, err := chartutil.ParseKubeVersion(opts.KubeVersion)
		if err != nil {
			return nil, fmt.Errorf("invalid kubernetes version %q: %w", opts.KubeVersion, err)
		}
		client.KubeVersion = kv
	}
	rel, err := client.RunWithContext(ctx, chrt, vals)
	if err != nil {
		return nil, err
	}
	return rel, nil
}

// isTestHook reports whether h runs on `helm test`; Kluctl drops those.
func isTestHook(h *release.Hook) bool {
	for _, e := range h.Events {
		if e == release.HookTest {
			return true
		}
	}
	return false
}

// parseManifests splits a YAML stream into objects, skipping empty
// documents. Numbers are kept as json.Number so that they round-trip
// exactly; duplicate keys keep the last value, as kubectl does.
func parseManifests(s string) ([]map[string]any, error) {
	r := utilyaml.NewYAMLReader(bufio.NewReader(bytes.NewBufferString(s)))
	var objs []map[string]any
	for {
		doc, err := r.Read()
		if errors.Is(err, io.EOF) {
			return objs, nil
		}
		if err != nil {
			return nil, fmt.Errorf("split rendered manifests: %w", err)
		}
		j, err := yaml.YAMLToJSON(doc)
		if err != nil {
			return nil, fmt.Errorf("parse rendered manifest: %w\n%s", err, doc)
		}
		if bytes.Equal(bytes.TrimSpace(j), []byte("null")) {
			continue
		}
		dec := json.NewDecoder(bytes.NewReader(j))
		dec.UseNumber()
		var obj map[string]any
		if err := dec.Decode(&obj); err != nil {
			return nil, fmt.Errorf("rendered manifest is not an object: %w\n%s", err, doc)
		}
		objs = append(objs, obj)
	}
}

// marshalObjects writes objs as a YAML stream, annotating each with the
// install namespace when ns is set.
func marshalObjects(objs []map[string]any, ns string) ([]byte, error) {
	var buf bytes.Buffer
	for i, obj := range objs {
		if ns != "" {
			setAnnotation(obj, InstallNamespaceAnnotation, ns)
		}
		j, err := json.Marshal(obj)
		if err != nil {
			return nil, fmt.Errorf("encode rendered object: %w", err)
		}
		y, err := yaml.JSONToYAML(j)
		if err != nil {
			return nil, fmt.Errorf("encode rendered object: %w", err)
		}
		if i > 0 {
			buf.WriteString("---\n")
		}
		buf.Write(y)
	}
	return buf.Bytes(), nil
}

func setAnnotation(obj map[string]any, key, value string) {
	meta, ok := obj["metadata"].(map[string]any)
	if !ok {
		meta = map[string]any{}
		obj["metadata"] = meta
	}
	ann, ok := meta["annotations"].(map[string]any)
	if !ok {
		ann = map[string]any{}
		meta["annotations"] = ann
	}
	ann[key] = value
}
