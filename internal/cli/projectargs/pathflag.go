package projectargs

import (
	"fmt"
	"os"
)

// pathKind is what a path flag must name.
type pathKind int

const (
	existingFile pathKind = iota
	existingDir
)

// pathValue is a string flag that must name an existing file or folder,
// checked when the flag is set (on the command line, from KLUCTL_* or the
// config file), as the original's existingfile/existingdir types.
type pathValue struct {
	target *string
	kind   pathKind
	expand func(string) string
	abs    func(string) (string, error)
}

// newPathValue returns a path flag value; expand expands ~ and abs makes a
// path absolute against the working folder.
func newPathValue(target *string, kind pathKind, expand func(string) string, abs func(string) (string, error)) *pathValue {
	return &pathValue{target: target, kind: kind, expand: expand, abs: abs}
}

func (v *pathValue) String() string { return *v.target }

func (v *pathValue) Set(s string) error {
	if s != "-" && v.expand != nil {
		s = v.expand(s)
	}
	check := s
	if v.abs != nil {
		a, err := v.abs(s)
		if err != nil {
			return err
		}
		check = a
	}
	st, err := os.Stat(check)
	switch {
	case err != nil && os.IsNotExist(err):
		return fmt.Errorf("%s does not exist", s)
	case err != nil:
		return err
	case v.kind == existingFile && st.IsDir():
		return fmt.Errorf("%s exists but is a directory", s)
	case v.kind == existingDir && !st.IsDir():
		return fmt.Errorf("%s exists but is not a directory", s)
	}
	*v.target = s
	return nil
}

func (v *pathValue) Type() string {
	if v.kind == existingDir {
		return "existingdir"
	}
	return "existingfile"
}
