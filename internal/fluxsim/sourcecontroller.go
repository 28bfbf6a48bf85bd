package fluxsim

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"

	"github.com/kluctl-go/kluctl/internal/freeport"
	"github.com/kluctl-go/kluctl/internal/simcluster"
)

// DefaultNamespace is the runtime namespace when Options.Namespace is empty.
const DefaultNamespace = "flux-system"

// Options configures Start.
type Options struct {
	// Namespace is the controller's runtime namespace (RUNTIME_NAMESPACE),
	// created when missing. The controller still watches every namespace.
	// Defaults to DefaultNamespace.
	Namespace string
	// Output receives the controller's log (JSON lines). When nil, the log
	// goes to source-controller.log in the work dir (see LogPath), which Stop
	// removes.
	Output io.Writer
	// Progress receives the output of a build that Start has to run; nil
	// writes it to build.log in the cache dir.
	Progress io.Writer
	// StartTimeout bounds the wait for the controller to serve. Defaults to
	// one minute.
	StartTimeout time.Duration
}

// SourceController is a running source-controller process.
type SourceController struct {
	namespace  string
	workDir    string
	logPath    string
	storageURL string
	healthAddr string
	pid        int
	done       chan struct{}
	waitErr    error

	stopOnce sync.Once
	stopErr  error
}

// startAttempts bounds the retries when the controller ends during start-up,
// which mostly means another process took one of its free ports first.
const startAttempts = 3

// Start builds source-controller if needed (see Build), installs its CRDs
// into cluster, creates the runtime namespace and runs the controller with
// its artifact storage in a temporary directory, the artifact server, health
// probes on free loopback ports, metrics off and leader election off. It
// returns once the health probe answers and the artifact server accepts
// connections. The process ends with the calling process; call Stop to end
// it sooner.
func Start(ctx context.Context, cluster *simcluster.Cluster, opts Options) (*SourceController, error) {
	if opts.Namespace == "" {
		opts.Namespace = DefaultNamespace
	}
	if opts.StartTimeout <= 0 {
		opts.StartTimeout = time.Minute
	}
	binPath, err := Build(ctx, opts.Progress)
	if err != nil {
		return nil, err
	}
	crds, err := readCRDs(filepath.Join(filepath.Dir(binPath), crdDirName))
	if err != nil {
		return nil, err
	}
	dc, err := dynamic.NewForConfig(cluster.RESTConfig())
	if err != nil {
		return nil, fmt.Errorf("create client: %w", err)
	}
	if err := installCRDs(ctx, dc, crds); err != nil {
		return nil, err
	}
	if err := ensureNamespace(ctx, cluster, opts.Namespace); err != nil {
		return nil, err
	}
	for attempt := 1; ; attempt++ {
		s, err := start(ctx, cluster, binPath, opts)
		if err == nil {
			return s, nil
		}
		if errors.Is(err, errExited) && ctx.Err() == nil && attempt < startAttempts {
			continue
		}
		return nil, fmt.Errorf("start source-controller: %w", err)
	}
}

// ensureNamespace creates namespace unless it exists.
func ensureNamespace(ctx context.Context, cluster *simcluster.Cluster, namespace string) error {
	cs, err := kubernetes.NewForConfig(cluster.RESTConfig())
	if err != nil {
		return fmt.Errorf("create client: %w", err)
	}
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: namespace}}
	if _, err := cs.CoreV1().Namespaces().Create(ctx, ns, metav1.CreateOptions{}); err != nil && !apierrors.IsAlreadyExists(err) {
		return fmt.Errorf("create namespace %s: %w", namespace, err)
	}
	return nil
}

// start runs one attempt of Start: a fresh work dir and ports, the process
// and the wait until it serves. On error it leaves nothing behind.
func start(ctx context.Context, cluster *simcluster.Cluster, binPath string, opts Options) (*SourceController, error) {
	workDir, err := os.MkdirTemp("", "fluxsim-source-controller-")
	if err != nil {
		return nil, fmt.Errorf("create work dir: %w", err)
	}
	s := &SourceController{namespace: opts.Namespace, workDir: workDir}
	storageDir, tmpDir := filepath.Join(workDir, "storage"), filepath.Join(workDir, "tmp")
	for _, dir := range []string{storageDir, tmpDir} {
		if err := os.Mkdir(dir, 0o755); err != nil {
			return nil, errors.Join(fmt.Errorf("create %s: %w", dir, err), s.Stop())
		}
	}
	ports, err := freeport.Ports(2)
	if err != nil {
		return nil, errors.Join(err, s.Stop())
	}
	storageAddr := net.JoinHostPort("127.0.0.1", strconv.Itoa(ports[0]))
	s.healthAddr = net.JoinHostPort("127.0.0.1", strconv.Itoa(ports[1]))
	s.storageURL = "http://" + storageAddr

	cmd := exec.Command(binPath,
		"--storage-path="+storageDir,
		"--storage-addr="+storageAddr,
		"--storage-adv-addr="+storageAddr,
		"--health-addr="+s.healthAddr,
		"--metrics-addr=0",
		"--enable-leader-election=false",
		"--log-level=info",
	)
	cmd.Dir = workDir
	cmd.Env = append(withoutEnv(os.Environ(), "KUBECONFIG", "RUNTIME_NAMESPACE", "TMPDIR"),
		// The controller finds its cluster through controller-runtime,
		// which reads KUBECONFIG; its --kubeconfig flag is a Go flag that
		// the controller's pflag command line does not parse.
		"KUBECONFIG="+cluster.KubeconfigPath(),
		"RUNTIME_NAMESPACE="+opts.Namespace,
		// Clones and chart downloads go below the work dir, so that Stop
		// removes them even after a SIGKILL.
		"TMPDIR="+tmpDir,
	)
	if opts.Output != nil {
		cmd.Stdout, cmd.Stderr = opts.Output, opts.Output
	} else {
		s.logPath = filepath.Join(workDir, "source-controller.log")
		f, err := os.Create(s.logPath)
		if err != nil {
			return nil, errors.Join(fmt.Errorf("create log: %w", err), s.Stop())
		}
		defer f.Close()
		cmd.Stdout, cmd.Stderr = f, f
	}
	if err := s.run(cmd); err != nil {
		return nil, errors.Join(err, s.Stop())
	}
	if err := s.waitServing(ctx, opts.StartTimeout); err != nil {
		return nil, errors.Join(err, s.Stop())
	}
	return s, nil
}

// withoutEnv drops the variables named in names from env.
func withoutEnv(env []string, names ...string) []string {
	out := make([]string, 0, len(env))
	for _, kv := range env {
		name, _, _ := strings.Cut(kv, "=")
		drop := false
		for _, n := range names {
			drop = drop || name == n
		}
		if !drop {
			out = append(out, kv)
		}
	}
	return out
}

// run starts cmd in its own process group. The process gets SIGKILL when the
// thread that started it dies; the thread is locked while starting so that it
// is the one that stays.
func (s *SourceController) run(cmd *exec.Cmd) error {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	runtime.LockOSThread()
	err := cmd.Start()
	runtime.UnlockOSThread()
	if err != nil {
		return fmt.Errorf("start %s: %w", cmd.Path, err)
	}
	s.pid = cmd.Process.Pid
	s.done = make(chan struct{})
	go func() {
		s.waitErr = cmd.Wait()
		close(s.done)
	}()
	return nil
}

// errExited reports that the controller ended while it should be running.
var errExited = errors.New("source-controller exited")

// exited returns an error wrapping errExited when the process has ended.
func (s *SourceController) exited() error {
	select {
	case <-s.done:
		return fmt.Errorf("%w (%v)%s", errExited, s.waitErr, s.logTail())
	default:
		return nil
	}
}

// waitServing polls until /readyz on the health address answers 200 and the
// artifact server accepts connections. The artifact server starts once the
// manager counts as elected, which without leader election is at once.
func (s *SourceController) waitServing(ctx context.Context, timeout time.Duration) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	client := &http.Client{Timeout: 2 * time.Second}
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	for {
		if err := s.exited(); err != nil {
			return err
		}
		if httpOK(ctx, client, "http://"+s.healthAddr+"/readyz") && accepts(strings.TrimPrefix(s.storageURL, "http://")) {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("wait for source-controller to serve: %w%s", ctx.Err(), s.logTail())
		case <-tick.C:
		}
	}
}

// httpOK reports whether a GET of url answers 200.
func httpOK(ctx context.Context, client *http.Client, url string) bool {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return false
	}
	resp, err := client.Do(req)
	if err != nil {
		return false
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode == http.StatusOK
}

// accepts reports whether something accepts TCP connections on addr.
func accepts(addr string) bool {
	conn, err := net.DialTimeout("tcp", addr, 200*time.Millisecond)
	if err != nil {
		return false
	}
	conn.Close()
	return true
}

// logTail returns the end of the log file for error messages.
func (s *SourceController) logTail() string {
	if s.logPath == "" {
		return ""
	}
	data, err := os.ReadFile(s.logPath)
	if err != nil || len(data) == 0 {
		return ""
	}
	const max = 3000
	if len(data) > max {
		data = data[len(data)-max:]
	}
	return "\n--- end of " + s.logPath + " ---\n" + string(data)
}

// Stop sends SIGTERM to the controller's process group, SIGKILL after ten
// seconds, waits until the process has ended and removes the work dir with
// the storage, the temporary files and the log. Stop is safe to call more
// than once.
func (s *SourceController) Stop() error {
	s.stopOnce.Do(func() {
		var errs []error
		if s.done != nil {
			if err := s.stopProcess(10 * time.Second); err != nil {
				errs = append(errs, err)
			}
		}
		if err := os.RemoveAll(s.workDir); err != nil {
			errs = append(errs, fmt.Errorf("remove work dir: %w", err))
		}
		s.stopErr = errors.Join(errs...)
	})
	return s.stopErr
}

// stopProcess ends the process group: SIGTERM, then SIGKILL after grace.
func (s *SourceController) stopProcess(grace time.Duration) error {
	select {
	case <-s.done:
		return nil
	default:
	}
	_ = syscall.Kill(-s.pid, syscall.SIGTERM)
	select {
	case <-s.done:
		return nil
	case <-time.After(grace):
	}
	_ = syscall.Kill(-s.pid, syscall.SIGKILL)
	select {
	case <-s.done:
		return nil
	case <-time.After(10 * time.Second):
		return fmt.Errorf("stop source-controller (pid %d): still running after SIGKILL", s.pid)
	}
}

// StorageURL returns the base URL of the artifact server,
// http://127.0.0.1:<port>. The artifact URLs in object status start with it.
func (s *SourceController) StorageURL() string { return s.storageURL }

// Namespace returns the controller's runtime namespace.
func (s *SourceController) Namespace() string { return s.namespace }

// LogPath returns the controller's log file, or "" when Options.Output
// receives the log. Stop removes the file.
func (s *SourceController) LogPath() string { return s.logPath }

// PID returns the process ID of the controller.
func (s *SourceController) PID() int { return s.pid }
