package helm

import (
	"fmt"
	"net/url"
	"path"
	"path/filepath"
	"regexp"
	"strings"

	"github.com/Masterminds/semver/v3"
	yaml "go.yaml.in/yaml/v3"
)

// DefaultOutput is the file a chart is rendered into when helm-chart.yaml
// sets no output.
const DefaultOutput = "helm-rendered.yaml"

// Source says where a chart comes from.
type Source int

const (
	// SourceRepo is a chart in a classic http(s) Helm repository.
	SourceRepo Source = iota + 1
	// SourceOCI is a chart in an OCI registry (repo starts with oci://).
	SourceOCI
	// SourceGit is a chart in a git repository.
	SourceGit
	// SourceLocal is a chart inside the project, named by path.
	SourceLocal
)

// Config is the helmChart section of a helm-chart.yaml.
type Config struct {
	// Repo is the http(s) Helm repository or the oci:// chart URL.
	Repo string `yaml:"repo"`
	// Path is a local chart, relative to the helm-chart.yaml.
	Path string `yaml:"path"`
	// Git is a chart in a git repository.
	Git *GitSource `yaml:"git"`
	// CredentialsID selects credentials given on the command line.
	// Deprecated in Kluctl; parsed so that old projects still load.
	CredentialsID string `yaml:"credentialsId"`
	// ChartName is the chart's name in an http(s) repository.
	ChartName string `yaml:"chartName"`
	// ChartVersion is the chart version to use for repo and OCI charts.
	ChartVersion string `yaml:"chartVersion"`
	// UpdateConstraints restricts the versions `kluctl helm-update` picks.
	UpdateConstraints string `yaml:"updateConstraints"`
	// ReleaseName is the Helm release name.
	ReleaseName string `yaml:"releaseName"`
	// Namespace is the release namespace; empty renders into "default"
	// (or RenderOptions.DefaultNamespace) without the install-namespace
	// annotation.
	Namespace string `yaml:"namespace"`
	// Output is the file the chart is rendered into, relative to the
	// helm-chart.yaml; empty means DefaultOutput.
	Output string `yaml:"output"`
	// SkipCRDs leaves out the chart's crds/ folder (--skip-crds); by default
	// CRDs are included (--include-crds).
	SkipCRDs bool `yaml:"skipCRDs"`
	// SkipUpdate excludes the chart from `kluctl helm-update`.
	SkipUpdate bool `yaml:"skipUpdate"`
	// SkipPrePull excludes the chart from `kluctl helm-pull`; Kluctl then
	// pulls it on demand while rendering.
	SkipPrePull bool `yaml:"skipPrePull"`

	// File is the helm-chart.yaml the config was loaded from.
	File string `yaml:"-"`
	// lines maps field paths (e.g. "helmChart.repo") to their line in File.
	lines map[string]int
}

// GitSource is the git field of helm-chart.yaml. It may also be written
// as a plain URL string.
type GitSource struct {
	// URL is the git URL (https://, ssh:// or scp-like git@host:path).
	URL string `yaml:"url"`
	// Ref is the branch, tag or commit to use.
	Ref *GitRef `yaml:"ref"`
	// SubDir is the chart's folder inside the repository.
	SubDir string `yaml:"subDir"`
}

// GitRef selects exactly one of a branch, a tag or a commit. A plain string
// (the legacy form) is kept in Legacy.
type GitRef struct {
	// Branch to check out.
	Branch string `yaml:"branch"`
	// Tag to check out.
	Tag string `yaml:"tag"`
	// Commit to check out.
	Commit string `yaml:"commit"`
	// Legacy holds a ref written as a plain string.
	Legacy string `yaml:"-"`
}

// UnmarshalYAML accepts a URL string or a mapping.
func (g *GitSource) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind == yaml.ScalarNode {
		return n.Decode(&g.URL)
	}
	type plain GitSource
	return n.Decode((*plain)(g))
}

// UnmarshalYAML accepts a ref string or a mapping.
func (r *GitRef) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind == yaml.ScalarNode {
		return n.Decode(&r.Legacy)
	}
	type plain GitRef
	return n.Decode((*plain)(r))
}

// String returns the ref the way Kluctl names pulled git charts:
// refs/tags/<tag>, refs/heads/<branch>, the legacy string, or HEAD for a
// commit.
func (r *GitRef) String() string {
	switch {
	case r == nil:
		return "HEAD"
	case r.Tag != "":
		return "refs/tags/" + r.Tag
	case r.Branch != "":
		return "refs/heads/" + r.Branch
	case r.Legacy != "":
		return r.Legacy
	}
	return "HEAD"
}

// Source returns where the chart comes from; it is valid after LoadConfig.
func (c *Config) Source() Source {
	switch {
	case c.Path != "":
		return SourceLocal
	case c.Git != nil:
		return SourceGit
	case strings.HasPrefix(c.Repo, "oci://"):
		return SourceOCI
	}
	return SourceRepo
}

// OutputFile returns the output field or DefaultOutput.
func (c *Config) OutputFile() string {
	if c.Output == "" {
		return DefaultOutput
	}
	return c.Output
}

// OutputPath returns the absolute path of the rendered output next to
// chartFile. The output must stay inside chartFile's folder.
func (c *Config) OutputPath(chartFile string) (string, error) {
	dir := filepath.Dir(chartFile)
	p := filepath.Join(dir, filepath.FromSlash(c.OutputFile()))
	if filepath.IsAbs(c.OutputFile()) || !within(dir, p) || p == filepath.Clean(dir) {
		return "", c.errorf("helmChart.output", "output %q must be a file inside the folder of the helm-chart.yaml", c.Output)
	}
	return p, nil
}

// Name returns the chart name as Kluctl derives it without reading the
// chart: chartName for http(s) repositories, the last path element of an
// oci:// URL, the base of git.subDir or of the git URL, or the base of path
// for local charts.
func (c *Config) Name() string {
	switch c.Source() {
	case SourceOCI:
		return path.Base(strings.TrimSuffix(c.Repo, "/"))
	case SourceGit:
		if c.Git.SubDir != "" {
			return path.Base(c.Git.SubDir)
		}
		u, err := parseGitURL(c.Git.URL)
		if err != nil {
			return c.Git.URL
		}
		return path.Base(u.Path)
	case SourceLocal:
		return filepath.Base(c.Path)
	}
	return c.ChartName
}

// Version returns the version that names the pulled chart folder: the
// chartVersion for repo and OCI charts, the git ref string for git charts
// (see GitRef.String) and "" for local charts.
func (c *Config) Version() string {
	switch c.Source() {
	case SourceGit:
		return c.Git.Ref.String()
	case SourceLocal:
		return ""
	}
	return c.ChartVersion
}

// chartNamePattern is what Kluctl requires of derived chart names.
var chartNamePattern = regexp.MustCompile(`[a-zA-Z_-]`)

// badSubDirChars are the characters Kluctl forbids in a git subDir element.
var badSubDirChars = regexp.MustCompile(`[\\:*?"<>|[:cntrl:]\x00^]`)

// validate checks the rules Kluctl enforces on helm-chart.yaml.
func (c *Config) validate() error {
	n := 0
	for _, set := range []bool{c.Repo != "", c.Path != "", c.Git != nil} {
		if set {
			n++
		}
	}
	switch {
	case n == 0:
		return c.errorf("helmChart", "one of repo, path or git must be set")
	case n > 1:
		return c.errorf("helmChart", "only one of repo, path and git can be set")
	}
	if c.ReleaseName == "" {
		return c.errorf("helmChart", "releaseName must be set")
	}
	if c.UpdateConstraints != "" {
		if _, err := semver.NewConstraint(c.UpdateConstraints); err != nil {
			return c.errorf("helmChart.updateConstraints", "invalid updateConstraints %q: %v", c.UpdateConstraints, err)
		}
	}
	switch c.Source() {
	case SourceLocal:
		return c.validateLocal()
	case SourceGit:
		return c.validateGit()
	}
	return c.validateRepo()
}

func (c *Config) validateLocal() error {
	for field, set := range map[string]bool{
		"chartName":         c.ChartName != "",
		"chartVersion":      c.ChartVersion != "",
		"updateConstraints": c.UpdateConstraints != "",
	} {
		if set {
			return c.errorf("helmChart."+field, "%s can not be set for local charts (path)", field)
		}
	}
	if filepath.IsAbs(c.Path) || path.IsAbs(c.Path) {
		return c.errorf("helmChart.path", "path %q must be relative to the helm-chart.yaml", c.Path)
	}
	return nil
}

func (c *Config) validateRepo() error {
	u, err := url.Parse(c.Repo)
	if err != nil {
		return c.errorf("helmChart.repo", "invalid repo %q: %v", c.Repo, err)
	}
	switch u.Scheme {
	case "http", "https", "oci":
	default:
		return c.errorf("helmChart.repo", "repo %q must be an http://, https:// or oci:// URL", c.Repo)
	}
	if u.Host == "" {
		return c.errorf("helmChart.repo", "repo %q has no host", c.Repo)
	}
	if c.ChartVersion == "" {
		return c.errorf("helmChart", "chartVersion must be set when repo is set")
	}
	if _, err := semver.NewVersion(c.ChartVersion); err != nil {
		return c.errorf("helmChart.chartVersion", "invalid chartVersion %q: %v", c.ChartVersion, err)
	}
	if u.Scheme == "oci" {
		if c.ChartName != "" {
			return c.errorf("helmChart.chartName", "chartName can not be set when repo is an oci:// URL (the chart name is the last element of the URL)")
		}
		if !chartNamePattern.MatchString(c.Name()) {
			return c.errorf("helmChart.repo", "invalid oci chart URL %q", c.Repo)
		}
		return nil
	}
	if c.ChartName == "" {
		return c.errorf("helmChart", "chartName must be set when repo is an http(s) Helm repository")
	}
	if strings.ContainsAny(c.ChartName, `/\`) || c.ChartName == ".." || c.ChartName == "." {
		return c.errorf("helmChart.chartName", "invalid chartName %q", c.ChartName)
	}
	return nil
}

func (c *Config) validateGit() error {
	if c.ChartName != "" {
		return c.errorf("helmChart.chartName", "chartName can not be set for git charts (the name is the base of subDir or of the URL)")
	}
	if c.Git.URL == "" {
		return c.errorf("helmChart.git", "git.url must be set")
	}
	u, err := parseGitURL(c.Git.URL)
	if err != nil {
		return c.errorf("helmChart.git.url", "invalid git url %q: %v", c.Git.URL, err)
	}
	if u.Host == "" {
		return c.errorf("helmChart.git.url", "git url %q has no host", c.Git.URL)
	}
	for _, elem := range strings.Split(c.Git.SubDir, "/") {
		if badSubDirChars.MatchString(elem) || elem == ".." {
			return c.errorf("helmChart.git.subDir", "%q is not a valid git subdirectory path", c.Git.SubDir)
		}
	}
	r := c.Git.Ref
	if r == nil {
		return c.errorf("helmChart.git", "git.ref must set one of branch, tag or commit")
	}
	set := 0
	for _, v := range []string{r.Branch, r.Tag, r.Commit, r.Legacy} {
		if v != "" {
			set++
		}
	}
	switch {
	case set == 0:
		return c.errorf("helmChart.git.ref", "git.ref must set one of branch, tag or commit")
	case set > 1:
		return c.errorf("helmChart.git.ref", "only one of branch, tag and commit can be set in git.ref")
	}
	if !chartNamePattern.MatchString(c.Name()) {
		return c.errorf("helmChart.git", "can not derive a chart name from git url %q and subDir %q", c.Git.URL, c.Git.SubDir)
	}
	return nil
}

// errorf returns an error naming the config file and, when known, the line
// of field.
func (c *Config) errorf(field, format string, args ...any) error {
	msg := fmt.Sprintf(format, args...)
	if line, ok := c.lines[field]; ok {
		return fmt.Errorf("%s:%d: %s", c.File, line, msg)
	}
	return fmt.Errorf("%s: %s", c.File, msg)
}

// within reports whether p is dir or inside dir (both cleaned, no symlink
// resolution).
func within(dir, p string) bool {
	rel, err := filepath.Rel(dir, p)
	if err != nil {
		return false
	}
	return rel == "." || (rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator)))
}
