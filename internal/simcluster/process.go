package simcluster

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// errExited reports that a cluster process ended while it should be running.
var errExited = errors.New("process exited")

// process is one running cluster component. Processes started by this
// process have a done channel; processes recorded in a state file by an
// earlier `up` do not, and are watched through /proc instead.
type process struct {
	Name    string `json:"name"`
	PID     int    `json:"pid"`
	Binary  string `json:"binary"`
	LogPath string `json:"log,omitempty"`

	done    chan struct{}
	waitErr error
}

// processSpec says how to start a process.
type processSpec struct {
	name, binary   string
	args           []string
	dir            string
	stdout, stderr io.Writer // when nil, output goes to logPath
	logPath        string
	// detached starts the process in its own session and without a parent
	// death signal, so that it outlives the caller.
	detached bool
}

// startProcess starts spec in its own process group. Attached processes get
// SIGKILL when the thread that started them dies; the thread is locked while
// starting so that it is the one that stays.
func startProcess(spec processSpec) (*process, error) {
	cmd := exec.Command(spec.binary, spec.args...)
	cmd.Dir = spec.dir
	if spec.detached {
		cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	} else {
		cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	}
	cmd.Stdout, cmd.Stderr = spec.stdout, spec.stderr
	if spec.stdout == nil || spec.stderr == nil {
		f, err := os.OpenFile(spec.logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
		if err != nil {
			return nil, fmt.Errorf("open log of %s: %w", spec.name, err)
		}
		defer f.Close()
		if cmd.Stdout == nil {
			cmd.Stdout = f
		}
		if cmd.Stderr == nil {
			cmd.Stderr = f
		}
	}

	runtime.LockOSThread()
	err := cmd.Start()
	runtime.UnlockOSThread()
	if err != nil {
		return nil, fmt.Errorf("start %s: %w", spec.name, err)
	}
	p := &process{Name: spec.name, PID: cmd.Process.Pid, Binary: spec.binary, LogPath: spec.logPath, done: make(chan struct{})}
	go func() {
		p.waitErr = cmd.Wait()
		close(p.done)
	}()
	return p, nil
}

// exited returns an error wrapping errExited when p has ended.
func (p *process) exited() error {
	if p.done != nil {
		select {
		case <-p.done:
			return fmt.Errorf("%s: %w (%v)%s", p.Name, errExited, p.waitErr, p.logTail())
		default:
			return nil
		}
	}
	if !p.alive() {
		return fmt.Errorf("%s (pid %d): %w%s", p.Name, p.PID, errExited, p.logTail())
	}
	return nil
}

// alive reports whether p still runs. A process recorded by an earlier run
// counts only while its command line still names the recorded binary, so a
// reused PID is never taken for it; zombies count as ended.
func (p *process) alive() bool {
	if p.done != nil {
		select {
		case <-p.done:
			return false
		default:
			return true
		}
	}
	return pidRuns(p.PID, p.Binary)
}

// pidRuns reports whether pid is a live (not zombie) process running binary.
func pidRuns(pid int, binary string) bool {
	stat, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return false
	}
	// The state follows the parenthesised command name.
	if i := bytes.LastIndexByte(stat, ')'); i < 0 || i+2 >= len(stat) || stat[i+2] == 'Z' {
		return false
	}
	cmdline, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/cmdline")
	if err != nil {
		return false
	}
	argv0, _, _ := strings.Cut(string(cmdline), "\x00")
	return binary == "" || argv0 == binary
}

// stop sends SIGTERM to the process group of p, then SIGKILL after grace, and
// waits until p has ended.
func (p *process) stop(grace time.Duration) error {
	if !p.alive() {
		return nil
	}
	_ = syscall.Kill(-p.PID, syscall.SIGTERM)
	if p.waitFor(grace) {
		return nil
	}
	_ = syscall.Kill(-p.PID, syscall.SIGKILL)
	if p.waitFor(10 * time.Second) {
		return nil
	}
	return fmt.Errorf("stop %s (pid %d): still running after SIGKILL", p.Name, p.PID)
}

// waitFor waits up to d for p to end and reports whether it did.
func (p *process) waitFor(d time.Duration) bool {
	if p.done != nil {
		select {
		case <-p.done:
			return true
		case <-time.After(d):
			return false
		}
	}
	deadline := time.Now().Add(d)
	for time.Now().Before(deadline) {
		if !p.alive() {
			return true
		}
		time.Sleep(50 * time.Millisecond)
	}
	return !p.alive()
}

// logTail returns the end of p's log file for error messages.
func (p *process) logTail() string {
	if p.LogPath == "" {
		return ""
	}
	data, err := os.ReadFile(p.LogPath)
	if err != nil || len(data) == 0 {
		return ""
	}
	const max = 2000
	if len(data) > max {
		data = data[len(data)-max:]
	}
	return "\n--- end of " + p.LogPath + " ---\n" + string(data)
}
