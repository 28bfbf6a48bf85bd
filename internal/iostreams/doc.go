// Package iostreams carries the standard streams of a command and knows
// whether they are terminals. Commands receive an IOStreams value instead of
// touching os.Stdout and friends, so tests can drive them in-process.
package iostreams
