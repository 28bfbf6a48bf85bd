package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
)

// Exit codes of the kluctl binary.
const (
	ExitOK       = 0
	ExitFailure  = 1
	ExitUsage    = 2
	ExitCanceled = 130
)

// ExitError lets a command choose its exit code while still reporting an
// error message (validate uses it for "not ready").
type ExitError struct {
	Code int
	Err  error
}

func (e *ExitError) Error() string { return e.Err.Error() }
func (e *ExitError) Unwrap() error { return e.Err }

// UsageError marks errors in how the command was invoked (flags, args).
type UsageError struct{ Err error }

func (e *UsageError) Error() string { return e.Err.Error() }
func (e *UsageError) Unwrap() error { return e.Err }

// SilentError carries an exit code for a failure that was already reported.
type SilentError struct{ Code int }

func (e *SilentError) Error() string { return fmt.Sprintf("exit status %d", e.Code) }

// exitCode maps an error to the process exit code and prints it. This is the
// single place where errors become exit codes.
func exitCode(err error, errOut io.Writer) int {
	if err == nil {
		return ExitOK
	}
	var silent *SilentError
	if errors.As(err, &silent) {
		return silent.Code
	}
	fmt.Fprintf(errOut, "Error: %s\n", strings.TrimRight(err.Error(), "\n"))
	var exitErr *ExitError
	var usage *UsageError
	switch {
	case errors.As(err, &exitErr):
		return exitErr.Code
	case errors.As(err, &usage):
		return ExitUsage
	case errors.Is(err, context.Canceled):
		return ExitCanceled
	default:
		return ExitFailure
	}
}
