package simcluster

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"
)

// recipeRevision changes whenever the build recipe changes in a way the
// version numbers do not show, so that cached binaries get rebuilt.
const recipeRevision = "1"

// Build compiles etcd, kube-apiserver, kube-controller-manager,
// kube-scheduler and kwok for opts.Version from the Go module proxy and
// returns the directory holding them: <CacheDir>/k8s-<version>/bin.
//
// Build is idempotent: it returns at once when the binaries exist and their
// stamp matches the recipe. Parallel callers, also in other processes, wait
// for one another on a file lock, so only one of them builds. The binaries are
// built into a temporary directory that is renamed into place at the end. A
// cold build takes several minutes.
func Build(ctx context.Context, opts Options) (string, error) {
	opts, err := opts.withDefaults()
	if err != nil {
		return "", err
	}
	vdir := opts.versionDir()
	binDir := filepath.Join(vdir, "bin")
	stamp := buildStamp(opts)
	if upToDate(binDir, stamp) {
		return binDir, nil
	}
	if err := os.MkdirAll(vdir, 0o755); err != nil {
		return "", fmt.Errorf("create cache dir: %w", err)
	}
	unlock, err := LockFile(ctx, filepath.Join(vdir, "build.lock"))
	if err != nil {
		return "", err
	}
	defer unlock()
	if upToDate(binDir, stamp) { // built by whoever held the lock
		return binDir, nil
	}

	if old, _ := filepath.Glob(filepath.Join(vdir, "bin-tmp-*")); len(old) > 0 {
		for _, dir := range old { // left by a killed build
			_ = os.RemoveAll(dir)
		}
	}

	logw := opts.Stderr
	if logw == nil {
		f, err := os.Create(filepath.Join(vdir, "build.log"))
		if err != nil {
			return "", fmt.Errorf("create build log: %w", err)
		}
		defer f.Close()
		logw = f
	}
	fmt.Fprintf(logw, "simcluster: building kubernetes %s and kwok %s into %s\n", opts.kubeModuleVersion(), kwokVersion, binDir)
	start := time.Now()

	tmp, err := os.MkdirTemp(vdir, "bin-tmp-")
	if err != nil {
		return "", fmt.Errorf("create build dir: %w", err)
	}
	defer os.RemoveAll(tmp)
	if err := os.Chmod(tmp, 0o755); err != nil {
		return "", fmt.Errorf("create build dir: %w", err)
	}
	if err := buildKube(ctx, opts, tmp, logw); err != nil {
		return "", err
	}
	if err := buildKwok(ctx, opts, tmp, logw); err != nil {
		return "", err
	}
	if err := os.WriteFile(filepath.Join(tmp, stampFile), []byte(stamp), 0o644); err != nil {
		return "", fmt.Errorf("write build stamp: %w", err)
	}
	if err := ReplaceDir(tmp, binDir); err != nil {
		return "", err
	}
	fmt.Fprintf(logw, "simcluster: built in %s\n", time.Since(start).Round(time.Second))
	return binDir, nil
}

const stampFile = ".stamp"

// buildStamp identifies what is in a bin dir: versions and recipe.
func buildStamp(o Options) string {
	h := sha256.New()
	fmt.Fprintf(h, "%s\n%s\n%s\n%s\n", recipeRevision, o.kubeModuleVersion(), kwokVersion, kubeLDFlags(o))
	for _, c := range kubeComponents() {
		h.Write(c.mainSource())
	}
	return hex.EncodeToString(h.Sum(nil)) + "\n"
}

// upToDate reports whether binDir holds every binary and the given stamp.
func upToDate(binDir, stamp string) bool {
	got, err := os.ReadFile(filepath.Join(binDir, stampFile))
	if err != nil || string(got) != stamp {
		return false
	}
	for _, name := range binaryNames() {
		fi, err := os.Stat(filepath.Join(binDir, name))
		if err != nil || fi.Mode()&0o111 == 0 {
			return false
		}
	}
	return true
}

// buildKube generates the Kubernetes build module and builds its mains into
// outDir.
func buildKube(ctx context.Context, o Options, outDir string, logw io.Writer) error {
	goMod, err := downloadGoMod(ctx, "k8s.io/kubernetes@"+o.kubeModuleVersion(), o.versionDir(), logw)
	if err != nil {
		return err
	}
	staging, etcdVersion, err := kubeModuleFacts(goMod)
	if err != nil {
		return err
	}
	files := map[string][]byte{}
	for _, c := range kubeComponents() {
		files[filepath.Join("cmd", c.name, "main.go")] = c.mainSource()
	}
	modDir := filepath.Join(o.versionDir(), "build-k8s")
	if err := WriteModule(modDir, kubeGoMod(o, etcdVersion, staging), files); err != nil {
		return err
	}
	fmt.Fprintf(logw, "simcluster: etcd %s, staging modules %s\n", etcdVersion, o.stagingModuleVersion())
	return RunGo(ctx, modDir, logw, "build", "-ldflags", kubeLDFlags(o), "-o", outDir+string(filepath.Separator), "./cmd/...")
}

// buildKwok generates the kwok build module and builds kwok into outDir.
func buildKwok(ctx context.Context, o Options, outDir string, logw io.Writer) error {
	modDir := filepath.Join(o.versionDir(), "build-kwok")
	if err := WriteModule(modDir, kwokGoMod(), map[string][]byte{}); err != nil {
		return err
	}
	return RunGo(ctx, modDir, logw, "build", "-ldflags", "-s -w", "-o", filepath.Join(outDir, "kwok"), "sigs.k8s.io/kwok/cmd/kwok")
}

// downloadGoMod downloads module@version and returns the path of its go.mod
// in the module cache.
func downloadGoMod(ctx context.Context, modVersion, dir string, logw io.Writer) (string, error) {
	m, err := DownloadModule(ctx, modVersion, dir, logw)
	return m.GoMod, err
}

// Module is a module downloaded into the module cache: its folder and its
// go.mod there.
type Module struct{ Dir, GoMod string }

// DownloadModule downloads module@version with the go command run in dir
// (a build module) and returns where the module cache holds it. Other
// tool builds into the cache (fluxsim) use it too.
func DownloadModule(ctx context.Context, modVersion, dir string, logw io.Writer) (Module, error) {
	cmd := goCommand(ctx, dir, "mod", "download", "-json", modVersion)
	cmd.Stderr = logw
	out, err := cmd.Output()
	if err != nil {
		return Module{}, fmt.Errorf("go mod download %s: %w", modVersion, err)
	}
	var info struct{ Dir, GoMod, Error string }
	if err := json.Unmarshal(out, &info); err != nil {
		return Module{}, fmt.Errorf("go mod download %s: %w", modVersion, err)
	}
	if info.Error != "" || info.GoMod == "" || info.Dir == "" {
		return Module{}, fmt.Errorf("go mod download %s: %s", modVersion, info.Error)
	}
	return Module{Dir: info.Dir, GoMod: info.GoMod}, nil
}

// RunGo runs the go command in the build module dir with output to logw.
func RunGo(ctx context.Context, dir string, logw io.Writer, args ...string) error {
	cmd := goCommand(ctx, dir, args...)
	cmd.Stdout, cmd.Stderr = logw, logw
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("go %s in %s: %w", strings.Join(args, " "), dir, err)
	}
	return nil
}

// goCommand prepares the go command for the build modules: module mode with
// go.mod updates allowed, no workspace, the local toolchain, static
// binaries.
func goCommand(ctx context.Context, dir string, args ...string) *exec.Cmd {
	cmd := exec.CommandContext(ctx, "go", args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GOFLAGS=-mod=mod", "GOWORK=off", "GOTOOLCHAIN=local", "CGO_ENABLED=0")
	return cmd
}

// ReplaceDir moves src to dst, replacing whatever dst held (the last
// step of a build into the cache; fluxsim uses it too).
func ReplaceDir(src, dst string) error {
	if _, err := os.Stat(dst); err == nil {
		old := dst + ".old-" + filepath.Base(src)
		if err := os.Rename(dst, old); err != nil {
			return fmt.Errorf("move old binaries aside: %w", err)
		}
		defer os.RemoveAll(old)
	}
	if err := os.Rename(src, dst); err != nil {
		return fmt.Errorf("move binaries into place: %w", err)
	}
	return nil
}

// LockFile takes an exclusive flock on path, waiting until it is free or
// ctx is done; the returned function releases it. Builds into the cache
// take it, so that concurrent test packages build once.
func LockFile(ctx context.Context, path string) (func(), error) {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		return nil, fmt.Errorf("open lock %s: %w", path, err)
	}
	for {
		err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
		if err == nil {
			return func() {
				_ = syscall.Flock(int(f.Fd()), syscall.LOCK_UN)
				f.Close()
			}, nil
		}
		if !errors.Is(err, syscall.EWOULDBLOCK) {
			f.Close()
			return nil, fmt.Errorf("lock %s: %w", path, err)
		}
		select {
		case <-ctx.Done():
			f.Close()
			return nil, fmt.Errorf("wait for lock %s: %w", path, ctx.Err())
		case <-time.After(500 * time.Millisecond):
		}
	}
}
