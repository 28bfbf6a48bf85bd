package simcluster

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"k8s.io/client-go/kubernetes"
)

// clusterState is what Up records in state.json so that later commands find
// a detached cluster.
type clusterState struct {
	Version   string     `json:"version"`
	Context   string     `json:"context"`
	Ports     ports      `json:"ports"`
	Processes []*process `json:"processes"`
}

// stateDir is where Up keeps the detached cluster: opts.WorkDir, or
// <CacheDir>/cluster.
func (o Options) stateDir() string {
	if o.WorkDir != "" {
		return o.WorkDir
	}
	return filepath.Join(o.CacheDir, "cluster")
}

// Up starts a cluster whose processes outlive the caller: each runs in its own
// session without a parent death signal. It records the processes and ports
// in the state dir (opts.WorkDir, or <CacheDir>/cluster) and returns when the
// cluster is ready. When the recorded cluster already runs, Up returns it
// unchanged; leftovers of a broken one are stopped first. Use Down to stop it.
func Up(ctx context.Context, opts Options) (*Cluster, error) {
	opts, err := opts.withDefaults()
	if err != nil {
		return nil, err
	}
	dir := opts.stateDir()
	unlock, err := lockState(ctx, dir)
	if err != nil {
		return nil, err
	}
	defer unlock()

	if c, err := loadCluster(dir); err == nil {
		if c.running(ctx) {
			return c, nil
		}
		if err := c.Stop(); err != nil {
			return nil, fmt.Errorf("stop broken cluster in %s: %w", dir, err)
		}
	} else if !errors.Is(err, fs.ErrNotExist) {
		return nil, err
	}
	if err := os.RemoveAll(dir); err != nil {
		return nil, fmt.Errorf("clean state dir: %w", err)
	}

	opts.WorkDir, opts.detached = dir, true
	opts.Stdout, opts.Stderr = nil, nil // detached processes log to files
	c, err := Start(ctx, opts)
	if err != nil {
		return nil, err
	}
	st := clusterState{Version: opts.Version, Context: opts.Context, Ports: c.ports, Processes: c.procs}
	data, err := json.MarshalIndent(st, "", "  ")
	if err == nil {
		err = os.WriteFile(c.stateFile(), data, 0o644)
	}
	if err != nil {
		return nil, errors.Join(fmt.Errorf("write state: %w", err), c.Stop())
	}
	return c, nil
}

// Down stops the cluster recorded by Up, waits until its processes are gone
// and removes the state dir. It does nothing when no cluster is recorded.
func Down(ctx context.Context, opts Options) error {
	opts, err := opts.withDefaults()
	if err != nil {
		return err
	}
	dir := opts.stateDir()
	unlock, err := lockState(ctx, dir)
	if err != nil {
		return err
	}
	defer unlock()
	c, err := loadCluster(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	if err := c.Stop(); err != nil {
		return err
	}
	if err := os.RemoveAll(dir); err != nil {
		return fmt.Errorf("remove state dir: %w", err)
	}
	return nil
}

// Status describes the cluster recorded by Up.
type Status struct {
	// Recorded is true when a state file exists.
	Recorded bool
	// Ready is true when every process runs and the API server is ready.
	Ready      bool
	Kubeconfig string
	Server     string
	Processes  []ProcessStatus
}

// ProcessStatus describes one recorded process.
type ProcessStatus struct {
	Name  string
	PID   int
	Alive bool
	Log   string
}

// ReadStatus reports on the cluster recorded by Up.
func ReadStatus(ctx context.Context, opts Options) (Status, error) {
	opts, err := opts.withDefaults()
	if err != nil {
		return Status{}, err
	}
	c, err := loadCluster(opts.stateDir())
	if errors.Is(err, fs.ErrNotExist) {
		return Status{}, nil
	}
	if err != nil {
		return Status{}, err
	}
	st := Status{Recorded: true, Ready: c.running(ctx), Kubeconfig: c.KubeconfigPath(), Server: c.Server()}
	for _, p := range c.procs {
		st.Processes = append(st.Processes, ProcessStatus{Name: p.Name, PID: p.PID, Alive: p.alive(), Log: p.LogPath})
	}
	return st, nil
}

// loadCluster reads the state file in dir. The error wraps fs.ErrNotExist
// when there is none.
func loadCluster(dir string) (*Cluster, error) {
	l := layout{workDir: dir}
	data, err := os.ReadFile(l.stateFile())
	if err != nil {
		return nil, fmt.Errorf("read cluster state: %w", err)
	}
	var st clusterState
	if err := json.Unmarshal(data, &st); err != nil {
		return nil, fmt.Errorf("read cluster state %s: %w", l.stateFile(), err)
	}
	c := &Cluster{layout: l, opts: Options{Version: st.Version, Context: st.Context}, ports: st.Ports, procs: st.Processes}
	if c.restConfig, err = restConfigFrom(l.kubeconfig(), st.Context); err != nil {
		return nil, err
	}
	return c, nil
}

// running reports whether all processes run and the API server is ready.
func (c *Cluster) running(ctx context.Context) bool {
	if len(c.AlivePIDs()) != len(c.procs) {
		return false
	}
	cs, err := kubernetes.NewForConfig(c.RESTConfig())
	return err == nil && apiServerReady(ctx, cs)
}

// lockState serialises Up and Down on the state dir.
func lockState(ctx context.Context, dir string) (func(), error) {
	if err := os.MkdirAll(filepath.Dir(dir), 0o755); err != nil {
		return nil, fmt.Errorf("create state dir parent: %w", err)
	}
	return LockFile(ctx, dir+".lock")
}
