// Package output handles the -o/--output-format flag of the commands that
// produce a command result: text (colored on a terminal), yaml or json, to
// stdout or to a file given as format=path.
package output

import (
	"context"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"
	apierrors "k8s.io/apimachinery/pkg/api/errors"

	"github.com/kluctl-go/kluctl/internal/engine"
	"github.com/kluctl-go/kluctl/internal/results"

	"github.com/kluctl-go/kluctl/internal/iostreams"
	"github.com/kluctl-go/kluctl/internal/result"
)

// Flags are the output flags.
type Flags struct {
	Formats     []string
	ShortOutput bool
	NoObfuscate bool
}

// Add registers the output flags on cmd.
func (f *Flags) Add(cmd *cobra.Command) {
	fl := cmd.Flags()
	fl.StringArrayVarP(&f.Formats, "output-format", "o", nil, "Specify output format and target file, in the format 'format=path'. Format can either be 'text', 'yaml' or 'json'. Can be specified multiple times.")
	fl.BoolVar(&f.NoObfuscate, "no-obfuscate", false, "Disable obfuscation of sensitive/secret data (accepted for compatibility; secrets are always masked)")
	fl.BoolVar(&f.ShortOutput, "short-output", false, "When using the 'text' output format (which is the default), only names of changes objects are shown instead of showing all changes.")
}

// ResultFlags are the original's command result flags: whether and where
// results are stored in the cluster, and how many old ones are kept.
type ResultFlags struct {
	Namespace               string
	Write, ForceWrite       bool
	KeepResults, KeepValids int
}

// AddResultFlags registers --write-command-result and its companions.
func (r *ResultFlags) AddResultFlags(cmd *cobra.Command) {
	fl := cmd.Flags()
	fl.StringVar(&r.Namespace, "command-result-namespace", results.DefaultNamespace, "Override the namespace to be used when writing command results.")
	fl.BoolVar(&r.Write, "write-command-result", true, "Enable writing of command results into the cluster. This is enabled by default.")
	fl.BoolVar(&r.ForceWrite, "force-write-command-result", false, "Force writing of command results, even if the command is run in dry-run mode.")
	fl.IntVar(&r.KeepResults, "keep-command-results-count", 5, "Configure how many old command results to keep.")
	fl.IntVar(&r.KeepValids, "keep-validate-results-count", 2, "Configure how many old validate results to keep.")
}

// storeTimeout bounds writing a result; it does not eat into --timeout.
const storeTimeout = 30 * time.Second

// store returns the target's result store when results are to be written.
func (r *ResultFlags) store(t *engine.Target, dryRun bool) *results.Store {
	if !r.Write || (dryRun && !r.ForceWrite) {
		return nil
	}
	st, err := t.ResultStore(r.StoreOptions())
	if err != nil {
		return nil
	}
	return st
}

// StoreOptions are the result store options the flags select.
func (r *ResultFlags) StoreOptions() results.Options {
	return results.Options{Namespace: r.Namespace, KeepCommandResults: keep(r.KeepResults), KeepValidateResults: keep(r.KeepValids)}
}

// keep maps the flag's 0 (keep none but the new one) to the store's
// meaning.
func keep(n int) int {
	if n <= 0 {
		return 1
	}
	return n
}

// StoreCommandResult writes the result document of res into the target's
// cluster when the flags ask for it (dry-runs only with
// --force-write-command-result). A failure never fails the command: it is
// reported as a warning on stderr.
func (r *ResultFlags) StoreCommandResult(ctx context.Context, streams *iostreams.IOStreams, t *engine.Target, res *result.Result, dryRun bool) {
	if res != nil && res.Document != nil {
		r.write(ctx, streams, t, dryRun, func(ctx context.Context, st *results.Store) ([]string, error) {
			return st.WriteCommandResult(ctx, res.Document)
		})
	}
}

// StoreValidateResult writes a validate result like StoreCommandResult.
func (r *ResultFlags) StoreValidateResult(ctx context.Context, streams *iostreams.IOStreams, t *engine.Target, res *result.ValidateResult) {
	if res != nil && res.Document != nil {
		r.write(ctx, streams, t, false, func(ctx context.Context, st *results.Store) ([]string, error) {
			return st.WriteValidateResult(ctx, res.Document)
		})
	}
}

// write runs one store write, bounded by storeTimeout (not by the
// command's --timeout, which the command may have used up), and reports
// its warnings and failure.
func (r *ResultFlags) write(ctx context.Context, streams *iostreams.IOStreams, t *engine.Target, dryRun bool, w func(context.Context, *results.Store) ([]string, error)) {
	st := r.store(t, dryRun)
	if st == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), storeTimeout)
	defer cancel()
	warnings, err := w(ctx, st)
	reportStore(streams, t, warnings, err)
}

func reportStore(streams *iostreams.IOStreams, t *engine.Target, warnings []string, err error) {
	m := t.Masker()
	for _, w := range warnings {
		fmt.Fprintln(streams.ErrOut, "Warning: "+m.String(w))
	}
	if err != nil {
		msg := err.Error()
		if apierrors.IsForbidden(err) {
			msg = "not enough permissions to write to the result store: " + msg
		}
		fmt.Fprintln(streams.ErrOut, "Warning: the command result was not stored: "+m.String(msg))
	}
}

// AddOutput registers -o/--output, as validate takes it: format[=path]
// values like --output-format, without the text options.
func (f *Flags) AddOutput(cmd *cobra.Command) {
	cmd.Flags().StringArrayVarP(&f.Formats, "output", "o", nil, "Specify output target file. Can be specified multiple times. Values are format[=path], where format is text, yaml or json.")
}

type spec struct{ format, path string }

// Validate checks the -o values before any work is done.
func (f *Flags) Validate() error {
	_, err := f.specs()
	return err
}

func (f *Flags) specs() ([]spec, error) {
	if len(f.Formats) == 0 {
		return []spec{{format: result.FormatText}}, nil
	}
	var out []spec
	for _, s := range f.Formats {
		format, path, _ := strings.Cut(s, "=")
		switch format {
		case result.FormatText, result.FormatYAML, result.FormatJSON:
		default:
			return nil, fmt.Errorf("invalid --output-format %q: format must be text, yaml or json", s)
		}
		out = append(out, spec{format: format, path: path})
	}
	return out, nil
}

// Write writes res in every requested format: text, or the result
// document (the original's compacted command result) as yaml or json.
func (f *Flags) Write(streams *iostreams.IOStreams, res *result.Result) error {
	return f.each(streams, func(w io.Writer, format string, color bool) error {
		if format == result.FormatText {
			if f.ShortOutput {
				res = shortened(res)
			}
			return result.PrintText(w, res, color)
		}
		if res.Document != nil {
			return result.Encode(w, res.Document.Compacted(), format)
		}
		return result.Write(w, res, format)
	})
}

// WriteValidate writes a validate result in every requested format.
func (f *Flags) WriteValidate(streams *iostreams.IOStreams, res *result.ValidateResult) error {
	return f.each(streams, func(w io.Writer, format string, color bool) error {
		if format == result.FormatText {
			return result.PrintValidateText(w, res, color)
		}
		if res.Document != nil {
			return result.Encode(w, res.Document, format)
		}
		return result.WriteValidate(w, res, format)
	})
}

func (f *Flags) each(streams *iostreams.IOStreams, write func(io.Writer, string, bool) error) error {
	specs, err := f.specs()
	if err != nil {
		return err
	}
	for _, s := range specs {
		if s.path == "" || s.path == "-" {
			if err := write(streams.Out, s.format, streams.ColorOut()); err != nil {
				return err
			}
			continue
		}
		fh, err := os.Create(s.path)
		if err != nil {
			return fmt.Errorf("write %s output: %w", s.format, err)
		}
		err = write(fh, s.format, false)
		if cerr := fh.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return fmt.Errorf("write %s output to %s: %w", s.format, s.path, err)
		}
	}
	return nil
}

// shortened drops the per-field changes, keeping the object names.
func shortened(res *result.Result) *result.Result {
	c := *res
	c.ChangedObjects = make([]result.ChangedObject, len(res.ChangedObjects))
	for i, o := range res.ChangedObjects {
		c.ChangedObjects[i] = result.ChangedObject{Ref: o.Ref}
	}
	return &c
}

// Finish writes the result of a cluster command and turns its error into
// the command's error. A nil result means the command could not run.
func (f *Flags) Finish(streams *iostreams.IOStreams, verb string, res *result.Result, err error) error {
	if res == nil {
		return err
	}
	if werr := f.Write(streams, res); werr != nil {
		return werr
	}
	if err != nil {
		return summarize(verb, res, err)
	}
	return nil
}

// summarize turns the per-object errors of a written result into one short
// error: the result already lists every error, so the message names only
// the first few.
func summarize(verb string, res *result.Result, err error) error {
	n := len(res.Errors)
	if n == 0 {
		return fmt.Errorf("%s failed: %w", verb, err)
	}
	const shown = 3
	var b strings.Builder
	fmt.Fprintf(&b, "%s failed with %d error(s):", verb, n)
	for i, m := range res.Errors {
		if i == shown {
			fmt.Fprintf(&b, "\n  ... and %d more (see the result)", n-shown)
			break
		}
		msg := (&result.ObjectError{Ref: m.Ref, Message: m.Message}).Error()
		fmt.Fprintf(&b, "\n  %s", strings.ReplaceAll(msg, "\n", "\n    "))
	}
	return &summaryError{msg: b.String(), err: err}
}

type summaryError struct {
	msg string
	err error
}

func (e *summaryError) Error() string { return e.msg }
func (e *summaryError) Unwrap() error { return e.err }

// RunE returns a cobra RunE that checks the output flags before any work
// is done and then runs run.
func (f *Flags) RunE(run func(context.Context) error) func(*cobra.Command, []string) error {
	return func(cmd *cobra.Command, _ []string) error {
		if err := f.Validate(); err != nil {
			return err
		}
		return run(cmd.Context())
	}
}
