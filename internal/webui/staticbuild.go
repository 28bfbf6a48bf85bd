package webui

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"golang.org/x/sync/errgroup"

	"github.com/kluctl-go/kluctl/internal/result"
	"github.com/kluctl-go/kluctl/internal/results"
)

// BuildStatic writes a static, read-only copy of the UI with the newest
// maxResults results of every project and target to dir. It needs the
// state: call it after Collect has synced. An existing dir is replaced
// only when it holds an earlier build (or nothing).
func (s *Server) BuildStatic(ctx context.Context, dir string, maxResults int) error {
	if maxResults < 1 {
		return fmt.Errorf("--max-results must be at least 1, not %d", maxResults)
	}
	if err := checkBuildDir(dir); err != nil {
		return err
	}
	parent := filepath.Dir(filepath.Clean(dir))
	if err := os.MkdirAll(parent, 0o755); err != nil {
		return err
	}
	tmp, err := os.MkdirTemp(parent, ".webui-build-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	if err := s.writeStatic(ctx, tmp, maxResults); err != nil {
		return err
	}
	if err := os.RemoveAll(dir); err != nil {
		return err
	}
	return os.Rename(tmp, dir)
}

// checkBuildDir refuses to replace a folder that is not an earlier build.
func checkBuildDir(dir string) error {
	entries, err := os.ReadDir(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("--path %s: %w", dir, err)
	}
	if len(entries) == 0 {
		return nil
	}
	if _, err := os.Stat(filepath.Join(dir, "staticdata", "summaries.js")); err != nil {
		return fmt.Errorf("--path %s exists and holds no earlier webui build; refusing to replace it", dir)
	}
	return nil
}

func (s *Server) writeStatic(ctx context.Context, dir string, maxResults int) error {
	ui, err := UIFiles()
	if err != nil {
		return err
	}
	if err := os.CopyFS(dir, ui); err != nil {
		return fmt.Errorf("copy the UI files: %w", err)
	}
	sb := filepath.Join(dir, "staticbuild.js")
	b, err := os.ReadFile(sb)
	if err != nil {
		return err
	}
	if err := os.WriteFile(sb, append(b, "\nisStaticBuild = true\n"...), 0o644); err != nil {
		return err
	}
	data := filepath.Join(dir, "staticdata")
	if err := os.MkdirAll(data, 0o755); err != nil {
		return err
	}
	summaries, deployments, err := s.staticState(ctx, maxResults)
	if err != nil {
		return err
	}
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(4)
	for _, sum := range summaries {
		g.Go(func() error {
			var v any
			cr, err := s.findCommandResult(gctx, sum.ID, false)
			if err != nil {
				v = map[string]string{"error": err.Error()}
			} else {
				v = cr
			}
			return writeJS(filepath.Join(data, "result-"+sum.ID+".js"), fmt.Sprintf("staticResults.set(%s, ", jsString(sum.ID)), v, ")\n")
		})
	}
	if err := g.Wait(); err != nil {
		return err
	}
	if err := writeJS(filepath.Join(data, "summaries.js"), "const staticSummaries=", summaries, "\n"); err != nil {
		return err
	}
	if err := writeJS(filepath.Join(data, "kluctldeployments.js"), "const staticKluctlDeployments=", deployments, "\n"); err != nil {
		return err
	}
	return writeJS(filepath.Join(data, "shortnames.js"), "const staticShortNames=", s.shortNames(), "\n")
}

// staticState lists the newest maxResults summaries per project and
// target in the stores (which list them newest first), and the
// KluctlDeployments the server collected.
func (s *Server) staticState(ctx context.Context, maxResults int) ([]result.CommandResultSummary, []map[string]any, error) {
	var all []result.CommandResultSummary
	for _, c := range s.clusters {
		l, err := c.store.ListCommandResultSummaries(ctx, results.Filter{})
		if err != nil {
			return nil, nil, fmt.Errorf("list the results of cluster %s: %w", c.ID, err)
		}
		all = append(all, l...)
	}
	kds := []map[string]any{}
	for _, m := range s.hub.current() {
		if m.Type == updateKluctlDeployment {
			kds = append(kds, map[string]any{"clusterId": m.ClusterID, "deployment": m.Deployment})
		}
	}
	count := map[string]int{}
	var out []result.CommandResultSummary
	for _, sum := range all {
		if !safeID(sum.ID) {
			continue // it names a file
		}
		k := sum.ProjectKey.RepoKey + "|" + sum.ProjectKey.SubDir + "|" + sum.TargetKey.ClusterID + "|" + sum.TargetKey.TargetName + "|" + sum.TargetKey.Discriminator
		if count[k] < maxResults {
			count[k]++
			out = append(out, sum)
		}
	}
	// Oldest first, as the live server sends them: the UI orders results
	// of the same second by arrival.
	slices.Reverse(out)
	return out, kds, nil
}

// writeJS writes prefix, v as JSON (which escapes <, > and &, so no
// </script> can appear) and suffix.
func writeJS(path, prefix string, v any, suffix string) error {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("%s: %w", filepath.Base(path), err)
	}
	return os.WriteFile(path, []byte(prefix+string(b)+suffix), 0o644)
}

func jsString(s string) string {
	b, _ := json.Marshal(s)
	return strings.TrimSpace(string(b))
}

// safeID tells whether a result id is fit for a file name (ids are UUIDs).
func safeID(id string) bool {
	if id == "" || len(id) > 64 {
		return false
	}
	for _, r := range id {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-') {
			return false
		}
	}
	return true
}
