package helm

import (
	"errors"
	"fmt"
	"net/url"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"strings"

	"helm.sh/helm/v3/pkg/chartutil"
)

// ChartsDirName is the folder, at the project root or above the item, that
// `kluctl helm-pull` fills with pulled charts.
const ChartsDirName = ".helm-charts"

// ChartNotPulledError reports a repo, OCI or git chart that is missing
// from .helm-charts or was pulled with another version.
type ChartNotPulledError struct {
	// ChartFile is the helm-chart.yaml naming the chart.
	ChartFile string
	// Chart is the chart name.
	Chart string
	// Version is the wanted version (chartVersion or git ref).
	Version string
	// Dir is where the pulled chart was expected.
	Dir string
	// PulledVersion is the version found in Dir, empty when Dir is missing.
	PulledVersion string
	// SkipPrePull is set when the chart is excluded from helm-pull.
	SkipPrePull bool
}

func (e *ChartNotPulledError) Error() string {
	switch {
	case e.PulledVersion != "":
		return fmt.Sprintf("%s: helm chart %s was pre-pulled with version %s but version %s is wanted in %s: run 'kluctl helm-pull'",
			e.ChartFile, e.Chart, e.PulledVersion, e.Version, e.Dir)
	case e.SkipPrePull:
		return fmt.Sprintf("%s: helm chart %s %s has skipPrePull set and is not in %s, and charts can not be pulled here",
			e.ChartFile, e.Chart, e.Version, e.Dir)
	}
	return fmt.Sprintf("%s: helm chart %s %s has not been pre-pulled into %s: run 'kluctl helm-pull'",
		e.ChartFile, e.Chart, e.Version, e.Dir)
}

// PulledChartDir returns the folder below chartsDir (a .helm-charts
// folder) that holds the pulled chart, in Kluctl's layout:
//
//	http(s) repo: <scheme>[_<port>]_<host>/<url path>/<chartName>/<chartVersion>
//	oci repo:     oci[_<port>]_<host>/<url path>/<chartVersion>
//	git:          git_<scheme>[_<port>]_<host>/<repo path>/<subDir>/<git ref>
//
// Hosts, URL paths and subDir are lower-cased; default ports (80 for http,
// 443 for https, 22 for ssh) are left out. The git repo path has a trailing
// ".git" removed, and the git ref is refs/heads/<branch>, refs/tags/<tag>
// or HEAD for a commit. Local charts have no pulled folder.
func (c *Config) PulledChartDir(chartsDir string) (string, error) {
	var dir string
	switch c.Source() {
	case SourceLocal:
		return "", fmt.Errorf("%s: local charts are not pulled", c.File)
	case SourceGit:
		u, err := parseGitURL(c.Git.URL)
		if err != nil {
			return "", c.errorf("helmChart.git.url", "invalid git url %q: %v", c.Git.URL, err)
		}
		prefix := "git_" + u.Scheme
		if port := gitPort(u); port != "" {
			prefix += "_" + port
		}
		dir = filepath.Join(chartsDir,
			prefix+"_"+strings.ToLower(u.Hostname()),
			filepath.FromSlash(normalizeGitPath(u.Path)),
			filepath.FromSlash(strings.ToLower(c.Git.SubDir)),
			filepath.FromSlash(c.Git.Ref.String()))
	default:
		u, err := url.Parse(c.Repo)
		if err != nil {
			return "", c.errorf("helmChart.repo", "invalid repo %q: %v", c.Repo, err)
		}
		prefix := u.Scheme
		port := u.Port()
		if (u.Scheme == "http" && port == "80") || (u.Scheme == "https" && port == "443") {
			port = ""
		}
		if port != "" {
			prefix += "_" + port
		}
		dir = filepath.Join(chartsDir,
			prefix+"_"+strings.ToLower(u.Hostname()),
			filepath.FromSlash(strings.ToLower(u.Path)))
		if u.Scheme != "oci" {
			dir = filepath.Join(dir, c.ChartName)
		}
		dir = filepath.Join(dir, c.ChartVersion)
	}
	if !within(chartsDir, dir) || filepath.Clean(chartsDir) == dir {
		return "", fmt.Errorf("%s: pulled chart folder %s is not inside %s", c.File, dir, chartsDir)
	}
	return dir, nil
}

// LocateChart returns the folder of the chart to render: the local chart
// (which must be inside opts.ProjectRoot) or the pre-pulled chart in the
// nearest .helm-charts folder between opts.SourceDir and opts.ProjectRoot.
// A chart that is not pulled is a *ChartNotPulledError.
func LocateChart(c *Config, opts RenderOptions) (string, error) {
	root, srcDir, err := opts.dirs()
	if err != nil {
		return "", err
	}
	if c.Source() == SourceLocal {
		dir := filepath.Join(srcDir, filepath.FromSlash(c.Path))
		if !within(root, dir) || !withinResolved(root, dir) {
			return "", c.errorf("helmChart.path", "local chart %q is outside the repository %s that holds the project", c.Path, root)
		}
		if _, err := os.Stat(filepath.Join(dir, chartutil.ChartfileName)); err != nil {
			return "", c.errorf("helmChart.path", "local chart %q: %v", c.Path, err)
		}
		return dir, nil
	}
	chartsDir := findChartsDir(root, srcDir)
	dir, err := c.PulledChartDir(chartsDir)
	if err != nil {
		return "", err
	}
	notPulled := &ChartNotPulledError{
		ChartFile: c.File, Chart: c.Name(), Version: c.Version(), Dir: dir, SkipPrePull: c.SkipPrePull,
	}
	meta, err := chartutil.LoadChartfile(filepath.Join(dir, chartutil.ChartfileName))
	if errors.Is(err, os.ErrNotExist) {
		for _, extra := range opts.ExtraChartsDirs {
			if d, err := c.PulledChartDir(extra); err == nil {
				if m, err := chartutil.LoadChartfile(filepath.Join(d, chartutil.ChartfileName)); err == nil && (c.Source() == SourceGit || m.Version == c.ChartVersion) {
					return d, nil
				}
			}
		}
		return "", notPulled
	}
	if err != nil {
		return "", fmt.Errorf("%s: read pulled chart %s: %w", c.File, dir, err)
	}
	if c.Source() != SourceGit && meta.Version != c.ChartVersion {
		notPulled.PulledVersion = meta.Version
		return "", notPulled
	}
	return dir, nil
}

// findChartsDir returns the nearest .helm-charts folder from srcDir up to
// root, or root/.helm-charts when there is none.
func findChartsDir(root, srcDir string) string {
	for dir := srcDir; within(root, dir); dir = filepath.Dir(dir) {
		p := filepath.Join(dir, ChartsDirName)
		if st, err := os.Stat(p); err == nil && st.IsDir() {
			return p
		}
		if dir == root || dir == filepath.Dir(dir) {
			break
		}
	}
	return filepath.Join(root, ChartsDirName)
}

// withinResolved reports whether p, with symlinks resolved, is inside
// root (also resolved). Paths that do not exist are checked unresolved.
func withinResolved(root, p string) bool {
	r, err := filepath.EvalSymlinks(root)
	if err != nil {
		return within(root, p)
	}
	q, err := filepath.EvalSymlinks(p)
	if err != nil {
		return within(root, p)
	}
	return within(r, q)
}

// scpLike matches git URLs of the form [user@]host:path.
var scpLike = regexp.MustCompile(`^(?:([^@/]+)@)?([^:/]+):(.*)$`)

// parseGitURL parses a git URL, including the scp-like ssh form, which
// becomes an ssh:// URL.
func parseGitURL(s string) (*url.URL, error) {
	if strings.Contains(s, "://") {
		u, err := url.Parse(s)
		if err != nil {
			return nil, err
		}
		if u.Scheme == "file" {
			return nil, fmt.Errorf("file:// git urls are not supported")
		}
		return u, nil
	}
	m := scpLike.FindStringSubmatch(s)
	if m == nil {
		return nil, fmt.Errorf("not a git url")
	}
	u := &url.URL{Scheme: "ssh", Host: m[2], Path: m[3]}
	if m[1] != "" {
		u.User = url.User(m[1])
	}
	return u, nil
}

// gitPort returns the URL's port unless it is the scheme's default.
func gitPort(u *url.URL) string {
	defaults := map[string]string{
		"http": "80", "https": "443", "git": "22", "git+ssh": "22", "ssh": "22", "ftp": "21", "rsync": "873",
	}
	port := u.Port()
	if d, ok := defaults[u.Scheme]; ok && port == d {
		return ""
	}
	return port
}

// normalizeGitPath lower-cases a repository path, drops a trailing ".git"
// and "/" and makes it absolute.
func normalizeGitPath(p string) string {
	p = strings.ToLower(p)
	if path.Base(p) != ".git" {
		p = strings.TrimSuffix(p, ".git")
	}
	p = strings.TrimSuffix(p, "/")
	if p != "" && !strings.HasPrefix(p, "/") {
		p = "/" + p
	}
	return p
}
