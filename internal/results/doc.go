// Package results stores command and validate results in the cluster, in
// the layout of the original Kluctl so that its tools (the web UI, the
// controller, `kluctl gitops`) read ours and ours read theirs: one Secret
// per result in the results namespace, labelled kluctl.io/result, with the
// summary as JSON in an annotation and the gzip-compressed reduced result
// and compacted objects as data. Old results are removed per project and
// target beyond a keep count; results too large for a Secret are reduced
// step by step, never dropped.
//
// The read side (list summaries, get one result, watch for new ones) is
// shared by the CLI, the controller and the UI.
package results
