package project

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"regexp"
	"strings"

	yamlv3 "go.yaml.in/yaml/v3"
	"sigs.k8s.io/yaml"
)

// FileError is an error about the content of one file, with the line where
// it could be located (0 when unknown).
type FileError struct {
	Path  string
	Line  int
	Field string
	Err   error
}

func (e *FileError) Error() string {
	var b strings.Builder
	b.WriteString(e.Path)
	if e.Line > 0 {
		fmt.Fprintf(&b, ":%d", e.Line)
	}
	if e.Field != "" {
		fmt.Fprintf(&b, ": field %q", e.Field)
	}
	b.WriteString(": ")
	b.WriteString(e.Err.Error())
	return b.String()
}

func (e *FileError) Unwrap() error { return e.Err }

var (
	unknownFieldRe = regexp.MustCompile(`unknown field "([^"]+)"`)
	yamlLineRe     = regexp.MustCompile(`^(?:error converting YAML to JSON: )?yaml: line (\d+): (.*)$`)
	jsonFieldRe    = regexp.MustCompile(`Go struct field [A-Za-z0-9_]+\.([A-Za-z0-9_.\[\]]+) of type`)
)

// decodeStrict decodes YAML (1.1 scalars, the Kubernetes way) into out,
// rejecting unknown fields. Errors name path and, where it can be found, the
// line and field.
func decodeStrict(path string, data []byte, out any) error {
	err := yaml.UnmarshalStrict(data, out)
	if err == nil {
		return nil
	}
	return describeYAMLError(path, data, err)
}

func describeYAMLError(path string, data []byte, err error) error {
	msg := err.Error()
	if m := yamlLineRe.FindStringSubmatch(msg); m != nil {
		var line int
		fmt.Sscanf(m[1], "%d", &line)
		return &FileError{Path: path, Line: line, Err: errors.New("invalid YAML: " + m[2])}
	}
	if m := unknownFieldRe.FindStringSubmatch(msg); m != nil {
		return &FileError{Path: path, Line: findKeyLine(data, m[1]), Field: m[1], Err: errors.New("unknown field")}
	}
	if m := jsonFieldRe.FindStringSubmatch(msg); m != nil {
		field := m[1]
		last := field[strings.LastIndex(field, ".")+1:]
		clean := msg[strings.Index(msg, "json: ")+len("json: "):]
		return &FileError{Path: path, Line: findKeyLine(data, last), Field: field, Err: errors.New(clean)}
	}
	msg = strings.TrimPrefix(msg, "error unmarshaling JSON: while decoding JSON: ")
	return &FileError{Path: path, Err: errors.New(msg)}
}

// findKeyLine returns the first line where key appears as a mapping key.
func findKeyLine(data []byte, key string) int {
	var docs []*yamlv3.Node
	dec := yamlv3.NewDecoder(bytes.NewReader(data))
	for {
		var n yamlv3.Node
		if err := dec.Decode(&n); err != nil {
			break
		}
		docs = append(docs, &n)
	}
	for _, d := range docs {
		if l := findKeyInNode(d, key); l > 0 {
			return l
		}
	}
	return 0
}

func findKeyInNode(n *yamlv3.Node, key string) int {
	if n.Kind == yamlv3.MappingNode {
		for i := 0; i+1 < len(n.Content); i += 2 {
			if n.Content[i].Value == key {
				return n.Content[i].Line
			}
		}
	}
	for _, c := range n.Content {
		if l := findKeyInNode(c, key); l > 0 {
			return l
		}
	}
	return 0
}

// lineOf returns the line of the node at path in the first YAML document
// of data: strings select mapping keys (the line of the key), ints list
// items. It returns the line of the deepest node found, 0 for none.
func lineOf(data []byte, path ...any) int {
	var doc yamlv3.Node
	if err := yamlv3.Unmarshal(data, &doc); err != nil || len(doc.Content) == 0 {
		return 0
	}
	n, line := doc.Content[0], 0
	for _, p := range path {
		var next *yamlv3.Node
		switch k := p.(type) {
		case string:
			if n.Kind == yamlv3.MappingNode {
				for i := 0; i+1 < len(n.Content); i += 2 {
					if n.Content[i].Value == k {
						line, next = n.Content[i].Line, n.Content[i+1]
						break
					}
				}
			}
		case int:
			if n.Kind == yamlv3.SequenceNode && k >= 0 && k < len(n.Content) {
				next = n.Content[k]
				line = next.Line
			}
		}
		if next == nil {
			return line
		}
		n = next
	}
	return line
}

// existingYAML returns path with .yml or .yaml, whichever exists, trying the
// given extension first; "" when neither exists.
func existingYAML(pathNoExt string) string {
	for _, ext := range []string{".yml", ".yaml"} {
		if st, err := os.Stat(pathNoExt + ext); err == nil && !st.IsDir() {
			return pathNoExt + ext
		}
	}
	return ""
}
