package result

import (
	"bufio"
	"fmt"
	"io"
	"strings"

	"github.com/kluctl-go/kluctl/internal/k8s"
)

// ANSI escape sequences used when color is on.
const (
	ansiReset = "\x1b[0m"
	ansiBold  = "\x1b[1m"
	ansiRed   = "\x1b[31m"
	ansiGreen = "\x1b[32m"
	ansiYel   = "\x1b[33m"
	ansiCyan  = "\x1b[36m"
)

type printer struct {
	w     *bufio.Writer
	color bool
}

func (p *printer) paint(code, s string) string {
	if !p.color || s == "" {
		return s
	}
	return code + s + ansiReset
}

func (p *printer) section(title string, refs []k8s.ObjectRef) {
	if len(refs) == 0 {
		return
	}
	fmt.Fprintf(p.w, "%s\n", p.paint(ansiBold, title))
	for _, r := range refs {
		fmt.Fprintf(p.w, "  %s\n", r)
	}
	fmt.Fprintln(p.w)
}

func (p *printer) messages(title, code string, msgs []ObjectMessage) {
	if len(msgs) == 0 {
		return
	}
	fmt.Fprintf(p.w, "%s\n", p.paint(ansiBold+code, title))
	for _, m := range msgs {
		if m.Ref == (k8s.ObjectRef{}) {
			fmt.Fprintf(p.w, "  %s\n", m.Message)
		} else {
			fmt.Fprintf(p.w, "  %s: %s\n", m.Ref, m.Message)
		}
	}
	fmt.Fprintln(p.w)
}

// diffLine colors one line of a unified diff.
func (p *printer) diffLine(l string) string {
	switch {
	case strings.HasPrefix(l, "@@"):
		return p.paint(ansiCyan, l)
	case strings.HasPrefix(l, "+"):
		return p.paint(ansiGreen, l)
	case strings.HasPrefix(l, "-"):
		return p.paint(ansiRed, l)
	}
	return l
}

// PrintText prints res for humans: the new, changed, deleted, orphan and
// hook objects, the diff of every changed object field by field, then
// warnings, errors and a summary line. With color, diff lines and headings
// carry ANSI colors.
func PrintText(w io.Writer, res *Result, color bool) error {
	p := &printer{w: bufio.NewWriter(w), color: color}
	p.section("New objects:", res.NewObjects)
	if len(res.ChangedObjects) != 0 {
		refs := make([]k8s.ObjectRef, len(res.ChangedObjects))
		for i, c := range res.ChangedObjects {
			refs[i] = c.Ref
		}
		p.section("Changed objects:", refs)
		for _, c := range res.ChangedObjects {
			fmt.Fprintf(p.w, "%s\n", p.paint(ansiBold, "Diff for object "+c.Ref.String()))
			for _, ch := range c.Changes {
				fmt.Fprintf(p.w, "  %s (%s)\n", p.paint(ansiYel, ch.JSONPath), ch.Type)
				for _, l := range strings.Split(ch.UnifiedDiff, "\n") {
					fmt.Fprintf(p.w, "    %s\n", p.diffLine(l))
				}
			}
			fmt.Fprintln(p.w)
		}
	}
	p.section("Applied hooks:", res.AppliedHookObjects)
	p.section("Deleted objects:", res.DeletedObjects)
	p.section("Orphan objects:", res.OrphanObjects)
	p.messages("Warnings:", ansiYel, res.Warnings)
	p.messages("Errors:", ansiRed, res.Errors)
	verb := ""
	if res.DryRun {
		verb = " (dry-run)"
	}
	fmt.Fprintf(p.w, "Summary%s: %d new, %d changed, %d deleted, %d orphan, %d hooks, %d warnings, %d errors\n",
		verb, len(res.NewObjects), len(res.ChangedObjects), len(res.DeletedObjects), len(res.OrphanObjects),
		len(res.AppliedHookObjects), len(res.Warnings), len(res.Errors))
	if err := p.w.Flush(); err != nil {
		return fmt.Errorf("print result: %w", err)
	}
	return nil
}

// PrintValidateText prints a validate result for humans.
func PrintValidateText(w io.Writer, res *ValidateResult, color bool) error {
	p := &printer{w: bufio.NewWriter(w), color: color}
	var notReady []k8s.ObjectRef
	for _, o := range res.Objects {
		if !o.Ready {
			notReady = append(notReady, o.Ref)
		}
	}
	p.section("Not ready objects:", notReady)
	p.messages("Warnings:", ansiYel, res.Warnings)
	p.messages("Errors:", ansiRed, res.Errors)
	if res.Ready {
		fmt.Fprintf(p.w, "%s\n", p.paint(ansiGreen, fmt.Sprintf("Validation succeeded: %d objects ready", len(res.Objects))))
	} else {
		fmt.Fprintf(p.w, "%s\n", p.paint(ansiRed, fmt.Sprintf("Validation failed: %d of %d objects not ready", len(notReady), len(res.Objects))))
	}
	if err := p.w.Flush(); err != nil {
		return fmt.Errorf("print validate result: %w", err)
	}
	return nil
}
