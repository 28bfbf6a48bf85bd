package iostreams

import (
	"bytes"
	"io"
	"os"

	"golang.org/x/term"
)

// IOStreams are the streams of one command invocation.
type IOStreams struct {
	In     io.Reader
	Out    io.Writer
	ErrOut io.Writer

	// InTTY, OutTTY and ErrTTY tell whether the streams are terminals.
	InTTY, OutTTY, ErrTTY bool
	// NoColor disables colored output even on a terminal.
	NoColor bool
}

// System returns the process' standard streams. Only package main should
// call it.
func System() *IOStreams {
	return &IOStreams{
		In:     os.Stdin,
		Out:    os.Stdout,
		ErrOut: os.Stderr,
		InTTY:  isTerminal(os.Stdin),
		OutTTY: isTerminal(os.Stdout),
		ErrTTY: isTerminal(os.Stderr),
	}
}

func isTerminal(f *os.File) bool {
	return term.IsTerminal(int(f.Fd()))
}

// Test returns streams backed by buffers, none of them a terminal.
func Test() (*IOStreams, *bytes.Buffer, *bytes.Buffer, *bytes.Buffer) {
	in, out, errOut := &bytes.Buffer{}, &bytes.Buffer{}, &bytes.Buffer{}
	return &IOStreams{In: in, Out: out, ErrOut: errOut}, in, out, errOut
}

// ColorOut tells whether colored output may be written to Out.
func (s *IOStreams) ColorOut() bool { return s.OutTTY && !s.NoColor }

// ColorErr tells whether colored output may be written to ErrOut.
func (s *IOStreams) ColorErr() bool { return s.ErrTTY && !s.NoColor }

// CanPrompt tells whether the user can answer an interactive question.
func (s *IOStreams) CanPrompt() bool { return s.InTTY && s.ErrTTY }
