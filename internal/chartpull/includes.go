package chartpull

import (
	"context"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"sigs.k8s.io/yaml"

	"github.com/kluctl-go/kluctl/internal/project"
	"github.com/kluctl-go/kluctl/internal/render/helm"
)

// includedCharts returns the charts of the projects that the deployment.yml
// files below dir include from git, and of their git includes in turn.
// deployment.yml files are read as written: one that only parses after
// templating is skipped, as are includes whose url is a template.
func (p *Puller) includedCharts(ctx context.Context, dir string, seen map[string]bool, progress func(string)) ([]*helm.Config, error) {
	if p.opts.FetchGit == nil {
		return nil, nil
	}
	var out []*helm.Config
	for _, inc := range gitIncludes(dir) {
		key := inc.URL + "\x00" + inc.Ref.String() + "\x00" + inc.SubDir
		if seen[key] || strings.Contains(inc.URL, "{{") {
			continue
		}
		seen[key] = true
		if progress != nil {
			progress(fmt.Sprintf("Looking for charts in the git include %s (%s)", inc.URL, inc.Ref.String()))
		}
		src, release, err := p.opts.FetchGit(ctx, inc.URL, inc.Ref)
		if err != nil {
			return nil, fmt.Errorf("git include %s: %w", inc.URL, err)
		}
		err = func() error {
			defer release()
			sub := filepath.Join(src.Dir, filepath.FromSlash(inc.SubDir))
			if !strings.HasPrefix(sub, filepath.Clean(src.Dir)) {
				return fmt.Errorf("git include %s: subDir %q leaves the repository", inc.URL, inc.SubDir)
			}
			charts, err := FindCharts(sub)
			if err != nil {
				return err
			}
			out = append(out, charts...)
			nested, err := p.includedCharts(ctx, sub, seen, progress)
			out = append(out, nested...)
			return err
		}()
		if err != nil {
			return nil, err
		}
	}
	return out, nil
}

// gitIncludes lists the git items of the deployment.yml files below dir
// (outside .helm-charts and .git) that parse as written.
func gitIncludes(dir string) []project.GitInclude {
	var out []project.GitInclude
	_ = filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return nil
		}
		if d.IsDir() && (d.Name() == helm.ChartsDirName || d.Name() == ".git") {
			return filepath.SkipDir
		}
		if d.IsDir() || (d.Name() != "deployment.yml" && d.Name() != "deployment.yaml") {
			return nil
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return nil
		}
		var cfg struct {
			Deployments []struct {
				Git *project.GitInclude `json:"git"`
			} `json:"deployments"`
		}
		if yaml.Unmarshal(data, &cfg) != nil {
			return nil
		}
		for _, it := range cfg.Deployments {
			if it.Git != nil && it.Git.URL != "" {
				out = append(out, *it.Git)
			}
		}
		return nil
	})
	return out
}
