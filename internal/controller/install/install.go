package install

import (
	"bytes"
	"context"
	"embed"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/kluctl-go/kluctl/config/crd"
	"github.com/kluctl-go/kluctl/internal/engine"
	"github.com/kluctl-go/kluctl/internal/render"
)

// projectFS is the install project without its CRDs, which WriteProject
// adds from config/crd so that the generated CRDs exist only once.
//
//go:embed all:project
var projectFS embed.FS

const (
	// Namespace is where the controller runs.
	Namespace = "kluctl-system"
	// DeploymentName is the name of the controller's Deployment (and of its
	// service account).
	DeploymentName = "kluctl-controller"
	// Discriminator marks the objects of the install project.
	Discriminator = "kluctl.io-controller"
)

// crdFile is where WriteProject puts the CRDs, relative to the project.
const crdFile = "controller/crd.yaml"

// Options select what is installed, on top of the project's args.
type Options struct {
	// KluctlVersion is the tag of the controller image (the kluctl_version
	// arg); empty keeps the arg, or the project's default.
	KluctlVersion string
}

// WriteProject writes the install project into dir, which must exist: the
// embedded files plus the CRDs, gitops.kluctl.io's KluctlDeployment and the
// Flux-era flux.kluctl.io KluctlDeployment and KluctlMultiDeployment.
func WriteProject(dir string) error {
	err := fs.WalkDir(projectFS, "project", func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel := filepath.FromSlash(p[len("project"):])
		target := filepath.Join(dir, rel)
		if d.IsDir() {
			return os.MkdirAll(target, 0o755)
		}
		data, err := projectFS.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(target, data, 0o644)
	})
	if err != nil {
		return fmt.Errorf("write the install project: %w", err)
	}
	crds, err := crd.All()
	if err != nil {
		return fmt.Errorf("read the CRDs: %w", err)
	}
	var b bytes.Buffer
	for _, c := range crds {
		if !bytes.HasPrefix(c, []byte("---")) {
			b.WriteString("---\n")
		}
		b.Write(c)
		if !bytes.HasSuffix(c, []byte("\n")) {
			b.WriteString("\n")
		}
	}
	if err := os.WriteFile(filepath.Join(dir, filepath.FromSlash(crdFile)), b.Bytes(), 0o644); err != nil {
		return fmt.Errorf("write the install project: %w", err)
	}
	return nil
}

// Load writes the install project into a temporary folder below the scratch
// folder of eopts, loads it through the engine and removes the folder again
// (the target holds what was rendered).
//
// eopts says how to reach the cluster (Context, Cluster, Offline, Getenv,
// Progress, ScratchDir) and holds the project's args (Args), which opts
// override; the project selection (ProjectDir, RepoRoot, ConfigPath, target,
// inclusion, fixed images, discriminator) is replaced by the install
// project's.
func Load(ctx context.Context, eopts engine.Options, opts Options) (*engine.Target, error) {
	args, err := projectArgs(eopts.Args, opts)
	if err != nil {
		return nil, err
	}
	parent := eopts.ScratchDir
	if parent == "" {
		parent = engine.DefaultScratchDir(eopts.Getenv)
	}
	if err := os.MkdirAll(parent, 0o700); err != nil {
		return nil, fmt.Errorf("create scratch folder %s: %w", parent, err)
	}
	// The "run-" prefix lets a later load remove the folder should this
	// process be killed before it can.
	dir, err := os.MkdirTemp(parent, "run-controller-install-")
	if err != nil {
		return nil, fmt.Errorf("create scratch folder in %s: %w", parent, err)
	}
	defer os.RemoveAll(dir)
	if err := WriteProject(dir); err != nil {
		return nil, err
	}

	eopts.ProjectDir, eopts.RepoRoot, eopts.ConfigPath = dir, dir, ""
	eopts.Target, eopts.TargetNameOverride = "", ""
	eopts.Inclusion = render.Inclusion{}
	eopts.FixedImages = nil
	eopts.Discriminator = ""
	eopts.RenderOutputDir = ""
	eopts.Args = args
	t, err := engine.Load(ctx, eopts)
	if err != nil {
		return nil, fmt.Errorf("load the controller install project: %w", err)
	}
	return t, nil
}

// projectArgs returns the project's args: args with opts applied, checked
// for the shapes the templates rely on. args is not modified.
func projectArgs(args map[string]any, opts Options) (map[string]any, error) {
	out := make(map[string]any, len(args)+1)
	for k, v := range args {
		out[k] = v
	}
	if opts.KluctlVersion != "" {
		out["kluctl_version"] = opts.KluctlVersion
	}
	if v, ok := out["controller_args"]; ok {
		list, err := stringList(v)
		if err != nil {
			return nil, fmt.Errorf("invalid arg controller_args: %w", err)
		}
		out["controller_args"] = list
	}
	for _, c := range []struct {
		name  string
		check func(any) error
	}{
		{"kluctl_image", isString},
		{"kluctl_version", isString},
		{"controller_envs", isListOfMaps},
		{"controller_resources", isMap},
		{"controller_node_selectors", isMap},
		{"controller_tolerations", isListOfMaps},
		{"controller_priority_class_name", isScalar},
		{"controller_service_account_annotations", isMap},
	} {
		if v, ok := out[c.name]; ok {
			if err := c.check(v); err != nil {
				return nil, fmt.Errorf("invalid arg %s: %w", c.name, err)
			}
		}
	}
	return out, nil
}

// stringList turns a list of scalars (or one string, for
// -a controller_args=--flag) into a list of strings, as container args are.
func stringList(v any) ([]any, error) {
	switch v := v.(type) {
	case nil:
		return []any{}, nil
	case string:
		return []any{v}, nil
	case []any:
		out := make([]any, len(v))
		for i, e := range v {
			if err := isScalar(e); err != nil || e == nil {
				return nil, fmt.Errorf("element %d: must be a string", i)
			}
			out[i] = fmt.Sprint(e)
		}
		return out, nil
	default:
		return nil, fmt.Errorf("must be a list of strings, not %s", kindOf(v))
	}
}

func isScalar(v any) error {
	switch v.(type) {
	case map[string]any, []any:
		return fmt.Errorf("must be a string, not %s", kindOf(v))
	}
	return nil
}

func isString(v any) error {
	if v == nil || v == "" {
		return fmt.Errorf("must not be empty")
	}
	return isScalar(v)
}

func isMap(v any) error {
	switch v.(type) {
	case nil, map[string]any:
		return nil
	}
	return fmt.Errorf("must be a mapping, not %s", kindOf(v))
}

func isListOfMaps(v any) error {
	switch v := v.(type) {
	case nil:
		return nil
	case []any:
		for i, e := range v {
			if _, ok := e.(map[string]any); !ok {
				return fmt.Errorf("element %d: must be a mapping, not %s", i, kindOf(e))
			}
		}
		return nil
	}
	return fmt.Errorf("must be a list of mappings, not %s", kindOf(v))
}

func kindOf(v any) string {
	switch v.(type) {
	case map[string]any:
		return "a mapping"
	case []any:
		return "a list"
	case nil:
		return "null"
	default:
		return fmt.Sprintf("the scalar %v", v)
	}
}
