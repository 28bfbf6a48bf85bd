// Package factory holds what every command of the CLI shares: the streams,
// the global flags, the environment and the confirmation prompter. It is
// created once per invocation by the root command and passed to each
// command's constructor.
package factory

import (
	"bufio"
	"errors"
	"fmt"
	"strings"

	"github.com/kluctl-go/kluctl/internal/iostreams"
)

// Factory carries the per-invocation dependencies of commands.
type Factory struct {
	IO *iostreams.IOStreams
	// Getenv reads the environment; tests replace it.
	Getenv func(string) string
	// Debug enables debug logging (--debug).
	Debug bool
	// Version is the version string of the binary.
	Version string
	// Prompter asks yes/no questions; nil means "use the streams".
	Prompter Prompter
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
		fmt.Fprintf(f.IO.ErrOut, format+"\n", args...)
	}
}
