package projectargs

import (
	"errors"
	"fmt"
	"os"
	"regexp"
	"strings"

	"github.com/kluctl-go/kluctl/internal/project"
)

var argFlagRe = regexp.MustCompile(`^[a-zA-Z0-9_./-]*=`)

// ParseArgs turns the -a name=value flags and --args-from-file files into
// the external args the engine receives. Values are YAML; a value starting
// with @ names a YAML file, read here, relative to the working folder (the
// engine never reads files named by args). Files of --args-from-file are
// merged over the -a args, in order, as in the original. abs resolves
// paths.
func ParseArgs(flags, files []string, abs func(string) (string, error)) (map[string]any, error) {
	out := map[string]any{}
	for _, f := range flags {
		if !argFlagRe.MatchString(f) {
			return nil, fmt.Errorf("invalid --arg argument. Must be --arg=some_var_name=value, not '%s'", f)
		}
		name, value, _ := strings.Cut(f, "=")
		var parsed any
		switch {
		case strings.HasPrefix(value, "@"):
			p, err := abs(value[1:])
			if err != nil {
				return nil, err
			}
			raw, err := os.ReadFile(p)
			if err != nil {
				return nil, fmt.Errorf("invalid --arg %s: read %s: %w", name, value[1:], err)
			}
			if parsed, err = project.ParseYAMLValue(value[1:], raw); err != nil {
				return nil, fmt.Errorf("invalid --arg %s: the file is not valid YAML: %w", name, err)
			}
		case strings.HasPrefix(value, `\@`):
			parsed = value[1:] // an escaped @: the literal string
		default:
			v, err := project.ParseYAMLValue("", []byte(value))
			if err != nil {
				var fe *project.FileError
				if errors.As(err, &fe) {
					err = fe.Err
				}
				return nil, fmt.Errorf("invalid --arg %s: the value is not valid YAML (%v); quote it to pass a string", name, err)
			}
			parsed = v
		}
		if err := project.SetArg(out, name, parsed); err != nil {
			return nil, fmt.Errorf("invalid --arg %q: %w", f, err)
		}
	}
	for _, f := range files {
		p, err := abs(f)
		if err != nil {
			return nil, err
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return nil, fmt.Errorf("read --args-from-file: %w", err)
		}
		v, err := project.ParseYAMLValue(f, data)
		if err != nil {
			return nil, fmt.Errorf("invalid --args-from-file: %w", err)
		}
		if v == nil {
			continue
		}
		m, ok := v.(map[string]any)
		if !ok {
			return nil, fmt.Errorf("invalid --args-from-file %s: the file must hold a mapping of args", f)
		}
		project.MergeArgs(out, m)
	}
	return out, nil
}
