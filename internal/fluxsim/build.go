package fluxsim

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/kluctl-go/kluctl/internal/simcluster"
)

// SourceControllerVersion is the release of github.com/fluxcd/source-controller
// that Build compiles.
const SourceControllerVersion = "v1.9.6"

const (
	sourceControllerModule = "github.com/fluxcd/source-controller"
	binaryName             = "source-controller"
	crdDirName             = "crds"
	stampFile              = ".stamp"
	buildLDFlags           = "-s -w"
	// recipeRevision changes whenever the build recipe changes in a way the
	// version and go.mod do not show, so that cached binaries get rebuilt.
	recipeRevision = "1"
)

// buildGoMod is the go.mod of the build module. Replace directives of a
// dependency do not apply to the module that requires it, so the ones
// source-controller needs are repeated here:
//   - its API module, which its go.mod points at ./api, is pinned to the
//     release of the same version (the version selection picks it today
//     too; the pin keeps it so when a dependency asks for a newer one);
//   - go-digest is the pseudo-version with BLAKE3 that source-controller
//     replaces it with; v1.0.0 lacks digest.BLAKE3 and the build fails;
//   - github.com/fluxcd/pkg/artifact v0.18.3, which v1.9.6 requires, is not
//     served by the module proxy (403); v0.18.0, the newest it serves,
//     compiles with v1.9.6.
func buildGoMod() []byte {
	return []byte(`module fluxsim.local/source-controller-build

go 1.26.0

require ` + sourceControllerModule + ` ` + SourceControllerVersion + `

replace (
	github.com/fluxcd/source-controller/api => github.com/fluxcd/source-controller/api ` + SourceControllerVersion + `
	github.com/fluxcd/pkg/artifact => github.com/fluxcd/pkg/artifact v0.18.0
	github.com/opencontainers/go-digest => github.com/opencontainers/go-digest v1.0.1-0.20220411205349-bde1400a84be
)
`)
}

// Build compiles source-controller SourceControllerVersion from the Go
// module proxy and returns the path of the binary:
// <simcluster cache>/flux-source-controller-<version>/bin/source-controller.
// The CRDs of the release (config/crd/bases) are copied into bin/crds, where
// Start reads them.
//
// Build returns at once when the binary and its stamp are in place. Parallel
// callers, also in other processes, wait for one another on a file lock, so
// only one of them builds. The output of the go command goes to progress, or
// to build.log in the cache dir when progress is nil. A cold build (module
// downloads included) takes several minutes.
func Build(ctx context.Context, progress io.Writer) (string, error) {
	return BuildInCache(ctx, "", progress)
}

// BuildInCache is Build with another cache root than
// simcluster.DefaultCacheDir; an empty cacheDir means the default.
func BuildInCache(ctx context.Context, cacheDir string, progress io.Writer) (string, error) {
	if cacheDir == "" {
		dir, err := simcluster.DefaultCacheDir()
		if err != nil {
			return "", err
		}
		cacheDir = dir
	}
	vdir := filepath.Join(cacheDir, "flux-source-controller-"+SourceControllerVersion)
	binDir := filepath.Join(vdir, "bin")
	binPath := filepath.Join(binDir, binaryName)
	stamp := buildStamp()
	if upToDate(binDir, stamp) {
		return binPath, nil
	}
	if err := os.MkdirAll(vdir, 0o755); err != nil {
		return "", fmt.Errorf("create cache dir: %w", err)
	}
	unlock, err := simcluster.LockFile(ctx, filepath.Join(vdir, "build.lock"))
	if err != nil {
		return "", err
	}
	defer unlock()
	if upToDate(binDir, stamp) { // built by whoever held the lock
		return binPath, nil
	}
	if old, _ := filepath.Glob(filepath.Join(vdir, "bin-tmp-*")); len(old) > 0 {
		for _, dir := range old { // left by a killed build
			_ = os.RemoveAll(dir)
		}
	}

	logw := progress
	if logw == nil {
		f, err := os.Create(filepath.Join(vdir, "build.log"))
		if err != nil {
			return "", fmt.Errorf("create build log: %w", err)
		}
		defer f.Close()
		logw = f
	}
	fmt.Fprintf(logw, "fluxsim: building source-controller %s into %s\n", SourceControllerVersion, binDir)
	start := time.Now()

	tmp, err := os.MkdirTemp(vdir, "bin-tmp-")
	if err != nil {
		return "", fmt.Errorf("create build dir: %w", err)
	}
	defer os.RemoveAll(tmp)
	if err := os.Chmod(tmp, 0o755); err != nil {
		return "", fmt.Errorf("create build dir: %w", err)
	}
	mod, err := simcluster.DownloadModule(ctx, sourceControllerModule+"@"+SourceControllerVersion, vdir, logw)
	if err != nil {
		return "", err
	}
	if err := copyCRDs(filepath.Join(mod.Dir, "config", "crd", "bases"), filepath.Join(tmp, crdDirName)); err != nil {
		return "", err
	}
	modDir := filepath.Join(vdir, "build")
	if err := simcluster.WriteModule(modDir, buildGoMod(), map[string][]byte{}); err != nil {
		return "", err
	}
	if err := simcluster.RunGo(ctx, modDir, logw, "build", "-ldflags", buildLDFlags, "-o", filepath.Join(tmp, binaryName), sourceControllerModule); err != nil {
		return "", err
	}
	if err := os.WriteFile(filepath.Join(tmp, stampFile), []byte(stamp), 0o644); err != nil {
		return "", fmt.Errorf("write build stamp: %w", err)
	}
	if err := simcluster.ReplaceDir(tmp, binDir); err != nil {
		return "", err
	}
	fmt.Fprintf(logw, "fluxsim: built source-controller in %s\n", time.Since(start).Round(time.Second))
	return binPath, nil
}

// buildStamp identifies what is in a bin dir: recipe, go.mod and flags.
func buildStamp() string {
	h := sha256.New()
	fmt.Fprintf(h, "%s\n%s\n", recipeRevision, buildLDFlags)
	h.Write(buildGoMod())
	return hex.EncodeToString(h.Sum(nil)) + "\n"
}

// upToDate reports whether binDir holds the binary, its CRDs and the given
// stamp.
func upToDate(binDir, stamp string) bool {
	got, err := os.ReadFile(filepath.Join(binDir, stampFile))
	if err != nil || string(got) != stamp {
		return false
	}
	fi, err := os.Stat(filepath.Join(binDir, binaryName))
	if err != nil || fi.Mode()&0o111 == 0 {
		return false
	}
	crds, _ := filepath.Glob(filepath.Join(binDir, crdDirName, "*.yaml"))
	return len(crds) > 0
}

// copyCRDs copies the CRD manifests from the module's config/crd/bases.
func copyCRDs(src, dst string) error {
	files, _ := filepath.Glob(filepath.Join(src, "*.yaml"))
	if len(files) == 0 {
		return fmt.Errorf("copy CRDs: no *.yaml in %s", src)
	}
	if err := os.MkdirAll(dst, 0o755); err != nil {
		return fmt.Errorf("copy CRDs: %w", err)
	}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			return fmt.Errorf("copy CRDs: %w", err)
		}
		if err := os.WriteFile(filepath.Join(dst, filepath.Base(f)), data, 0o644); err != nil {
			return fmt.Errorf("copy CRDs: %w", err)
		}
	}
	return nil
}
