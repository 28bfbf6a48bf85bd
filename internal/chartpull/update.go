package chartpull

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"sort"
	"unicode/utf8"

	"github.com/Masterminds/semver/v3"
	yaml "go.yaml.in/yaml/v3"

	"github.com/kluctl-go/kluctl/internal/render/helm"
)

// ErrGitVersions is returned by Versions for git charts: listing the tags
// of a git repository is not supported by the Puller.
var ErrGitVersions = errors.New("listing the tags of git charts is not supported")

// Versions returns the versions that exist of cfg's chart: the versions in
// the index of its http(s) repository, or the (semver) tags of its OCI
// repository. Git charts return ErrGitVersions, local charts an error.
// Errors name the helm-chart.yaml.
func (p *Puller) Versions(ctx context.Context, cfg *helm.Config) ([]string, error) {
	var vs []string
	var err error
	switch cfg.Source() {
	case helm.SourceRepo:
		vs, err = p.repoVersions(ctx, cfg)
	case helm.SourceOCI:
		vs, err = p.ociVersionsCtx(ctx, cfg)
	case helm.SourceGit:
		err = ErrGitVersions
	default:
		err = errors.New("local charts have no versions to query")
	}
	if err != nil {
		return nil, fmt.Errorf("%s: query versions of helm chart %s: %w", cfg.File, cfg.Name(), err)
	}
	return vs, nil
}

// ociVersionsCtx is ociVersions, given up when ctx is done (Helm's
// registry client takes no context for listing tags).
func (p *Puller) ociVersionsCtx(ctx context.Context, cfg *helm.Config) ([]string, error) {
	type result struct {
		vs  []string
		err error
	}
	done := make(chan result, 1)
	go func() {
		vs, err := p.ociVersions(cfg)
		done <- result{vs, err}
	}()
	select {
	case <-ctx.Done():
		return nil, ctx.Err()
	case r := <-done:
		return r.vs, r.err
	}
}

// LatestVersion returns the newest of versions that satisfies constraints
// (Masterminds semver syntax, e.g. "~1.2" or ">=1.0.0 <2.0.0"), as written
// in versions. Versions that are not semver are ignored. Without
// constraints pre-releases are left out, as in the original; a constraint
// with a pre-release part (e.g. "~1.2.3-0") lets them in.
func LatestVersion(versions []string, constraints string) (string, error) {
	var c *semver.Constraints
	if constraints != "" {
		var err error
		if c, err = semver.NewConstraint(constraints); err != nil {
			return "", fmt.Errorf("invalid updateConstraints %q: %w", constraints, err)
		}
	}
	best, bestV := "", (*semver.Version)(nil)
	for _, s := range versions {
		v, err := semver.NewVersion(s)
		if err != nil {
			continue
		}
		if c == nil && v.Prerelease() != "" {
			continue
		}
		if c != nil && !c.Check(v) {
			continue
		}
		if bestV == nil || v.GreaterThan(bestV) {
			best, bestV = s, v
		}
	}
	if bestV == nil {
		if constraints != "" {
			return "", fmt.Errorf("no version found that satisfies the updateConstraints %q", constraints)
		}
		return "", errors.New("no version found")
	}
	return best, nil
}

// UpdateVersion returns the version helm-update moves current to: the
// LatestVersion of versions under constraints when it is newer than
// current, else "". Unlike the original, a current version that is newer
// than every allowed one (a pinned pre-release, say) is never downgraded.
func UpdateVersion(current string, versions []string, constraints string) (string, error) {
	latest, err := LatestVersion(versions, constraints)
	if err != nil {
		return "", err
	}
	cur, err := semver.NewVersion(current)
	if err != nil {
		return "", fmt.Errorf("invalid chartVersion %q: %w", current, err)
	}
	if lv, _ := semver.NewVersion(latest); !lv.GreaterThan(cur) {
		return "", nil
	}
	return latest, nil
}

// SetChartVersion returns the text of the helm-chart.yaml file (data) with
// the value of helmChart.chartVersion replaced by version. Only that value
// changes: comments, quoting, indentation and the other lines stay as
// they are. The value must be a plain or quoted scalar on one line.
func SetChartVersion(file string, data []byte, version string) ([]byte, error) {
	n, err := chartVersionNode(file, data)
	if err != nil {
		return nil, err
	}
	lines := bytes.SplitAfter(data, []byte("\n"))
	if n.Line < 1 || n.Line > len(lines) {
		return nil, fmt.Errorf("%s:%d: chartVersion is outside the file", file, n.Line)
	}
	line := lines[n.Line-1]
	start := runeOffset(line, n.Column-1)
	var old, repl string
	switch {
	case n.Style&yaml.DoubleQuotedStyle != 0:
		old, repl = `"`+n.Value+`"`, `"`+version+`"`
	case n.Style&yaml.SingleQuotedStyle != 0:
		old, repl = `'`+n.Value+`'`, `'`+version+`'`
	case n.Style&(yaml.LiteralStyle|yaml.FoldedStyle) == 0:
		old, repl = n.Value, version
	}
	if old == "" || start < 0 || !bytes.HasPrefix(line[start:], []byte(old)) {
		return nil, fmt.Errorf("%s:%d: can not rewrite chartVersion: write it as a plain or quoted value on one line", file, n.Line)
	}
	var out bytes.Buffer
	for i, l := range lines {
		if i != n.Line-1 {
			out.Write(l)
			continue
		}
		out.Write(l[:start])
		out.WriteString(repl)
		out.Write(l[start+len(old):])
	}
	// The result must read back as the new version.
	if m, err := chartVersionNode(file, out.Bytes()); err != nil || m.Value != version {
		return nil, fmt.Errorf("%s:%d: can not write chartVersion %q here", file, n.Line, version)
	}
	return out.Bytes(), nil
}

// chartVersionNode finds the value node of helmChart.chartVersion.
func chartVersionNode(file string, data []byte) (*yaml.Node, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, fmt.Errorf("%s: %v", file, err)
	}
	n := &doc
	for _, key := range []string{"helmChart", "chartVersion"} {
		if n.Kind == yaml.DocumentNode && len(n.Content) == 1 {
			n = n.Content[0]
		}
		var next *yaml.Node
		for i := 0; n.Kind == yaml.MappingNode && i+1 < len(n.Content); i += 2 {
			if n.Content[i].Value == key {
				next = n.Content[i+1]
			}
		}
		if next == nil {
			return nil, fmt.Errorf("%s: helmChart.chartVersion is not set", file)
		}
		n = next
	}
	if n.Kind != yaml.ScalarNode {
		return nil, fmt.Errorf("%s:%d: chartVersion must be a string", file, n.Line)
	}
	return n, nil
}

// runeOffset returns the byte offset of the col-th (0-based) character of
// line, -1 when the line is shorter.
func runeOffset(line []byte, col int) int {
	off := 0
	for i := 0; i < col; i++ {
		if off >= len(line) {
			return -1
		}
		_, size := utf8.DecodeRune(line[off:])
		off += size
	}
	return off
}

// OutOfDate returns what `kluctl helm-pull` would change in the project in
// dir, as paths relative to dir: the pulled chart versions that are
// missing (or do not hold the chart their helm-chart.yaml names) and the
// pulled versions no helm-chart.yaml names any more. As in the original's
// check, a git chart on a branch counts as pulled when it was pulled once.
func OutOfDate(dir string) ([]string, error) {
	charts, err := FindCharts(dir)
	if err != nil {
		return nil, err
	}
	rel := relTo(dir)
	pl, err := newPlan(charts, filepath.Join(dir, helm.ChartsDirName))
	if err != nil {
		return nil, err
	}
	var out []string
	for _, vdir := range pl.order {
		if verify(pl.todo[vdir], vdir) != nil {
			out = append(out, rel(vdir))
		}
	}
	unused, err := pl.unused()
	if err != nil {
		return nil, err
	}
	for _, u := range unused {
		out = append(out, rel(u))
	}
	sort.Strings(out)
	return out, nil
}
