// Package engine is the one pipeline behind every command: it loads a
// Kluctl project, renders one target for a cluster (what Kluctl calls the
// target context) and runs deploy, diff, prune, delete, validate and
// poke-images on the result, and lists the images it resolved. The CLI and the GitOps controller only turn their inputs into
// Options and present what the engine returns.
//
// The engine holds no process state: it never reads the working folder or
// the environment (Options.Getenv is the environment), never writes to the
// process' streams (progress goes to Options.Progress) and never reads
// files named by arg values. Several targets may be loaded and deployed at
// once in one process.
package engine
