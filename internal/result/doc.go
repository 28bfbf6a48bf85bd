// Package result is the command result model of diff, deploy, prune, delete
// and validate: new, changed, deleted and orphan objects, per-field changes,
// and per-object warnings and errors. It serialises to YAML and JSON for
// machines (-o yaml|json) and prints a human readable, optionally colored,
// text form. Values in a Result are already masked by the stage that built
// it; this package never sees Secret data.
package result
