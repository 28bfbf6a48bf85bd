package simcluster

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"

	"github.com/kluctl-go/kluctl/internal/freeport"
)

// Cluster is a running simulated control plane.
type Cluster struct {
	layout
	opts          Options
	removeWorkDir bool
	ports         ports
	restConfig    *rest.Config
	procs         []*process

	stopOnce sync.Once
	stopErr  error
	// stopCloud ends the cloud simulation (see simulateCloud).
	stopCloud context.CancelFunc
}

// startAttempts bounds the retries when a process ends during start-up,
// which mostly means another process took one of the free ports first.
const startAttempts = 3

// Start builds the binaries if needed (see Build) and starts etcd,
// kube-apiserver, kube-controller-manager, kube-scheduler and kwok on free
// loopback ports. It returns when the API server is ready, opts.Nodes kwok
// nodes are Ready and the default service account exists. The processes end
// with the calling process; call Stop to end them sooner.
func Start(ctx context.Context, opts Options) (*Cluster, error) {
	opts, err := opts.withDefaults()
	if err != nil {
		return nil, err
	}
	binDir, err := Build(ctx, opts)
	if err != nil {
		return nil, err
	}
	workDir, removeWorkDir := opts.WorkDir, false
	if workDir == "" {
		if workDir, err = os.MkdirTemp("", "simcluster-"); err != nil {
			return nil, fmt.Errorf("create work dir: %w", err)
		}
		removeWorkDir = !opts.KeepWorkDir
	}
	for attempt := 1; ; attempt++ {
		c := &Cluster{layout: layout{workDir: workDir}, opts: opts}
		err := c.start(ctx, binDir)
		if err == nil {
			c.removeWorkDir = removeWorkDir
			return c, nil
		}
		err = errors.Join(err, c.Stop())
		if errors.Is(err, errExited) && ctx.Err() == nil && attempt < startAttempts {
			continue
		}
		if removeWorkDir {
			_ = os.RemoveAll(workDir)
		}
		return nil, fmt.Errorf("start cluster in %s: %w", workDir, err)
	}
}

// start runs one attempt of Start.
func (c *Cluster) start(ctx context.Context, binDir string) error {
	for _, dir := range []string{c.etcdDir(), c.certDir(), c.pkiDir()} {
		if err := os.RemoveAll(dir); err != nil {
			return fmt.Errorf("clean %s: %w", dir, err)
		}
	}
	for _, dir := range []string{c.pkiDir(), c.logDir(), c.certDir()} {
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return fmt.Errorf("create %s: %w", dir, err)
		}
	}
	free, err := freeport.Ports(4)
	if err != nil {
		return err
	}
	c.ports = ports{EtcdClient: free[0], EtcdPeer: free[1], APIServer: free[2], Kubelet: free[3]}
	p, err := newPKI(time.Now())
	if err != nil {
		return err
	}
	files, err := p.write(c.pkiDir())
	if err != nil {
		return err
	}
	if err := writeKubeconfig(c.kubeconfig(), kubeconfigFor(c.opts.Context, c.ports.server(), p)); err != nil {
		return err
	}
	if err := writeKwokConfig(c.kwokConfig()); err != nil {
		return err
	}
	if c.restConfig, err = restConfigFrom(c.kubeconfig(), c.opts.Context); err != nil {
		return err
	}

	if err := c.run(binDir, "etcd", etcdArgs(c.layout, c.ports)); err != nil {
		return err
	}
	if err := c.run(binDir, "kube-apiserver", apiServerArgs(c.layout, c.ports, files)); err != nil {
		return err
	}
	cs, err := kubernetes.NewForConfig(c.RESTConfig())
	if err != nil {
		return fmt.Errorf("create client: %w", err)
	}
	began := time.Now()
	if err := c.waitFor(ctx, time.Minute, "kube-apiserver ready", func(ctx context.Context) (bool, error) {
		return apiServerReady(ctx, cs), nil
	}); err != nil {
		return err
	}
	c.progressf("kube-apiserver ready in %s", time.Since(began).Round(10*time.Millisecond))
	if err := c.run(binDir, "kube-controller-manager", controllerManagerArgs(c.layout, files)); err != nil {
		return err
	}
	if err := c.run(binDir, "kube-scheduler", schedulerArgs(c.layout)); err != nil {
		return err
	}
	if err := installKwokCRDs(ctx, c.RESTConfig()); err != nil {
		return err
	}
	if err := c.run(binDir, "kwok", kwokArgs(c.kubeconfig(), c.kwokConfig(), c.ports.Kubelet)); err != nil {
		return err
	}
	if err := createNodes(ctx, cs, c.opts.Nodes); err != nil {
		return err
	}
	if err := c.waitFor(ctx, time.Minute, "kwok nodes ready", func(ctx context.Context) (bool, error) {
		return nodesReady(ctx, cs, c.opts.Nodes)
	}); err != nil {
		return err
	}
	if err := c.waitFor(ctx, time.Minute, "default service account", func(ctx context.Context) (bool, error) {
		return serviceAccountExists(ctx, cs, metav1.NamespaceDefault), nil
	}); err != nil {
		return err
	}
	c.progressf("%d kwok nodes and the default service account ready after %s", c.opts.Nodes, time.Since(began).Round(10*time.Millisecond))
	cloudCtx, stopCloud := context.WithCancel(context.Background())
	c.stopCloud = stopCloud
	go simulateCloud(cloudCtx, cs)
	return nil
}

// progressf writes a progress line to opts.Progress, if set.
func (c *Cluster) progressf(format string, args ...any) {
	if c.opts.Progress != nil {
		fmt.Fprintf(c.opts.Progress, "simcluster: "+format+"\n", args...)
	}
}

// run starts one component with its output in the work dir's logs.
func (c *Cluster) run(binDir, name string, args []string) error {
	p, err := startProcess(processSpec{
		name:     name,
		binary:   filepath.Join(binDir, name),
		args:     args,
		dir:      c.workDir,
		stdout:   c.opts.Stdout,
		stderr:   c.opts.Stderr,
		logPath:  c.logFile(name),
		detached: c.opts.detached,
	})
	if err != nil {
		return err
	}
	c.procs = append(c.procs, p)
	return nil
}

// waitFor polls cond until it holds, failing early when ctx ends, timeout
// passes or a cluster process exits.
func (c *Cluster) waitFor(ctx context.Context, timeout time.Duration, what string, cond func(context.Context) (bool, error)) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	for {
		for _, p := range c.procs {
			if err := p.exited(); err != nil {
				return fmt.Errorf("wait for %s: %w", what, err)
			}
		}
		ok, err := cond(ctx)
		if err != nil {
			return fmt.Errorf("wait for %s: %w", what, err)
		}
		if ok {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("wait for %s: %w", what, ctx.Err())
		case <-tick.C:
		}
	}
}

// apiServerReady reports whether /readyz answers ok.
func apiServerReady(ctx context.Context, cs kubernetes.Interface) bool {
	reqCtx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	body, err := cs.Discovery().RESTClient().Get().AbsPath("/readyz").DoRaw(reqCtx)
	return err == nil && string(body) == "ok"
}

func serviceAccountExists(ctx context.Context, cs kubernetes.Interface, namespace string) bool {
	_, err := cs.CoreV1().ServiceAccounts(namespace).Get(ctx, "default", metav1.GetOptions{})
	return err == nil
}

// Stop ends every process the cluster started, waits for them and removes a
// temporary work dir. It reports processes that are still alive or an API
// server port still in use. Stop is safe to call more than once.
func (c *Cluster) Stop() error {
	c.stopOnce.Do(func() {
		if c.stopCloud != nil {
			c.stopCloud()
		}
		errs := make([]error, len(c.procs))
		var wg sync.WaitGroup
		for i, p := range c.procs {
			wg.Go(func() { errs[i] = p.stop(5 * time.Second) })
		}
		wg.Wait()
		if alive := c.AlivePIDs(); len(alive) > 0 {
			errs = append(errs, fmt.Errorf("processes still alive after stop: %v", alive))
		}
		if c.ports.APIServer != 0 && portInUse(c.ports.APIServer) {
			errs = append(errs, fmt.Errorf("api server port %d still in use after stop", c.ports.APIServer))
		}
		if c.removeWorkDir {
			if err := os.RemoveAll(c.workDir); err != nil {
				errs = append(errs, fmt.Errorf("remove work dir: %w", err))
			}
		}
		c.stopErr = errors.Join(errs...)
	})
	return c.stopErr
}

// PIDs returns the process IDs of the cluster's processes.
func (c *Cluster) PIDs() []int {
	pids := make([]int, 0, len(c.procs))
	for _, p := range c.procs {
		pids = append(pids, p.PID)
	}
	return pids
}

// AlivePIDs returns the process IDs of the cluster's processes that still run.
func (c *Cluster) AlivePIDs() []int {
	var pids []int
	for _, p := range c.procs {
		if p.alive() {
			pids = append(pids, p.PID)
		}
	}
	return pids
}

// KubeconfigPath returns the path of the cluster's kubeconfig. Its only
// context is Context() and it authenticates as a cluster admin.
func (c *Cluster) KubeconfigPath() string { return c.kubeconfig() }

// Context returns the kube context name in the kubeconfig.
func (c *Cluster) Context() string { return c.opts.Context }

// WorkDir returns the directory with the cluster's logs, certificates and
// kubeconfig.
func (c *Cluster) WorkDir() string { return c.workDir }

// Server returns the URL of the API server.
func (c *Cluster) Server() string { return c.ports.server() }

// RESTConfig returns a new copy of the admin client config, with QPS 1000
// and Burst 2000.
func (c *Cluster) RESTConfig() *rest.Config { return rest.CopyConfig(c.restConfig) }

// newNamespaceObject is the namespace NewNamespace creates.
func newNamespaceObject(prefix string) *corev1.Namespace {
	return &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{GenerateName: prefix}}
}
