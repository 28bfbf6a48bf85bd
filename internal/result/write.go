package result

import (
	"encoding/json"
	"fmt"
	"io"

	"sigs.k8s.io/yaml"
)

// Output formats understood by Write and WriteValidate.
const (
	FormatText = "text"
	FormatYAML = "yaml"
	FormatJSON = "json"
)

// Write writes res to w as "yaml", "json" or "text" (uncolored; use
// PrintText for color).
func Write(w io.Writer, res *Result, format string) error {
	if format == FormatText || format == "" {
		return PrintText(w, res, false)
	}
	return Encode(w, res, format)
}

// WriteValidate writes a validate result to w as "yaml", "json" or "text".
func WriteValidate(w io.Writer, res *ValidateResult, format string) error {
	if format == FormatText || format == "" {
		return PrintValidateText(w, res, false)
	}
	return Encode(w, res, format)
}

// Encode writes v as yaml or json.
func Encode(w io.Writer, v any, format string) error {
	var b []byte
	var err error
	switch format {
	case FormatJSON:
		b, err = json.MarshalIndent(v, "", "  ")
		b = append(b, '\n')
	case FormatYAML:
		b, err = yaml.Marshal(v)
	default:
		return fmt.Errorf("unknown output format %q (want text, yaml or json)", format)
	}
	if err != nil {
		return fmt.Errorf("encode result as %s: %w", format, err)
	}
	if _, err := w.Write(b); err != nil {
		return fmt.Errorf("write result: %w", err)
	}
	return nil
}
