// Package factory holds what every command of the CLI shares: the streams,
// the global flags, the environment, the cluster client pool and the
// confirmation prompter. It is created once per invocation by the root
// command and passed to each command's constructor.
package factory

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"github.com/kluctl-go/kluctl/internal/diff"
	"github.com/kluctl-go/kluctl/internal/engine"
	"github.com/kluctl-go/kluctl/internal/iostreams"
	"github.com/kluctl-go/kluctl/internal/k8s"
)

// Factory carries the per-invocation dependencies of commands.
type Factory struct {
	IO *iostreams.IOStreams
	// Getenv reads the environment; tests replace it.
	Getenv func(string) string
	// Getwd returns the working folder relative paths are resolved against.
	Getwd func() (string, error)
	// Debug enables debug logging (--debug).
	Debug bool
	// Version is the version string of the binary.
	Version string
	// Prompter asks yes/no questions; nil means "use the streams".
	Prompter Prompter
	// Pool shares cluster clients (and their request limiter) between the
	// runs of this invocation.
	Pool *k8s.Pool

	mu     sync.Mutex
	masker *diff.Masker
}

// Prompter asks the user to confirm an action.
type Prompter interface {
	Confirm(question string) (bool, error)
}

// ErrNoTerminal is returned when a confirmation is needed but nobody can
// answer it.
var ErrNoTerminal = errors.New("confirmation required, but stdin/stderr is not a terminal; pass --yes to confirm")

// Confirm asks question on the error stream and reads the answer from the
// input stream. Without a terminal it refuses instead of hanging.
func (f *Factory) Confirm(question string) (bool, error) {
	if f.Prompter != nil {
		return f.Prompter.Confirm(question)
	}
	if !f.IO.CanPrompt() {
		return false, ErrNoTerminal
	}
	fmt.Fprintf(f.IO.ErrOut, "%s (y/N) ", question)
	line, err := bufio.NewReader(f.IO.In).ReadString('\n')
	if err != nil && line == "" {
		return false, fmt.Errorf("read confirmation: %w", err)
	}
	answer := strings.ToLower(strings.TrimSpace(line))
	return answer == "y" || answer == "yes", nil
}

// Progress writes a progress line to stderr when it is a terminal; it is
// quiet otherwise, so that logs and pipes only get results and errors.
func (f *Factory) Progress(format string, args ...any) {
	if f.IO.ErrTTY {
		line := f.mask(fmt.Sprintf(format, args...))
		f.mu.Lock()
		defer f.mu.Unlock()
		fmt.Fprintln(f.IO.ErrOut, line)
	}
}

// Debugf writes a debug line to stderr with --debug, masked.
func (f *Factory) Debugf(format string, args ...any) {
	if f.Debug {
		line := "debug: " + f.mask(fmt.Sprintf(format, args...))
		f.mu.Lock()
		defer f.mu.Unlock()
		fmt.Fprintln(f.IO.ErrOut, line)
	}
}

// SetMasker makes every later progress and debug line pass m.
func (f *Factory) SetMasker(m *diff.Masker) {
	f.mu.Lock()
	f.masker = m
	f.mu.Unlock()
}

func (f *Factory) mask(s string) string {
	f.mu.Lock()
	m := f.masker
	f.mu.Unlock()
	return m.String(s)
}

// ProgressHook returns the engine's progress hook for this invocation:
// progress on a terminal, warnings always, debug lines with --debug, all
// on stderr. The engine masks its events itself.
func (f *Factory) ProgressHook() func(engine.Event) {
	return func(e engine.Event) {
		f.mu.Lock()
		defer f.mu.Unlock()
		switch e.Level {
		case engine.LevelInfo:
			if f.IO.ErrTTY || f.Debug {
				fmt.Fprintln(f.IO.ErrOut, e.Message)
			}
		case engine.LevelWarning:
			fmt.Fprintln(f.IO.ErrOut, "Warning: "+e.Message)
		case engine.LevelDebug:
			if f.Debug {
				fmt.Fprintln(f.IO.ErrOut, "debug: "+e.Message)
			}
		}
	}
}

// Abs resolves a path given on the command line against the working
// folder, expanding a leading ~.
func (f *Factory) Abs(p string) (string, error) {
	p = f.ExpandHome(p)
	if filepath.IsAbs(p) {
		return filepath.Clean(p), nil
	}
	wd, err := f.Getwd()
	if err != nil {
		return "", fmt.Errorf("resolve %s: %w", p, err)
	}
	return filepath.Join(wd, p), nil
}

// ExpandHome replaces a leading ~ by $HOME.
func (f *Factory) ExpandHome(p string) string {
	if p == "~" || strings.HasPrefix(p, "~/") {
		if h := f.Getenv("HOME"); h != "" {
			return filepath.Join(h, p[1:])
		}
	}
	return p
}

// WriteOutputs writes data to each of paths ("-" or none is stdout), as
// the -o/--output flags of list-targets and list-images do; what names
// the content for errors.
func (f *Factory) WriteOutputs(paths []string, data []byte, what string) error {
	if len(paths) == 0 {
		paths = []string{"-"}
	}
	for _, p := range paths {
		if p == "-" {
			if _, err := f.IO.Out.Write(data); err != nil {
				return err
			}
			continue
		}
		abs, err := f.Abs(p)
		if err != nil {
			return err
		}
		if err := os.WriteFile(abs, data, 0o644); err != nil {
			return fmt.Errorf("write %s to %s: %w", what, p, err)
		}
	}
	return nil
}
