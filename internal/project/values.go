package project

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"strconv"

	"sigs.k8s.io/yaml"
)

// Values is a free-form YAML mapping whose numbers keep their kind:
// integers decode as int64 and other numbers as float64, so that templates
// print 3 and not 3.0.
type Values map[string]any

// UnmarshalJSON implements json.Unmarshaler.
func (v *Values) UnmarshalJSON(b []byte) error {
	x, err := decodeJSONValue(b)
	if err != nil {
		return err
	}
	if x == nil {
		*v = nil
		return nil
	}
	m, ok := x.(map[string]any)
	if !ok {
		return fmt.Errorf("expected a mapping, got %s", typeName(x))
	}
	*v = m
	return nil
}

func typeName(x any) string {
	switch x.(type) {
	case []any:
		return "a list"
	case string:
		return "a string"
	case bool:
		return "a boolean"
	case int64, float64:
		return "a number"
	default:
		return fmt.Sprintf("%T", x)
	}
}

// decodeYAMLValue parses one YAML document the Kubernetes way (YAML 1.1
// scalars) into plain Go values with int64/float64 numbers.
func decodeYAMLValue(data []byte) (any, error) {
	j, err := yaml.YAMLToJSON(data)
	if err != nil {
		return nil, err
	}
	return decodeJSONValue(j)
}

func decodeJSONValue(b []byte) (any, error) {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var x any
	if err := dec.Decode(&x); err != nil {
		return nil, err
	}
	return normalizeNumbers(x), nil
}

func normalizeNumbers(x any) any {
	switch v := x.(type) {
	case map[string]any:
		for k, e := range v {
			v[k] = normalizeNumbers(e)
		}
		return v
	case []any:
		for i, e := range v {
			v[i] = normalizeNumbers(e)
		}
		return v
	case json.Number:
		if i, err := strconv.ParseInt(string(v), 10, 64); err == nil {
			return i
		}
		f, err := strconv.ParseFloat(string(v), 64)
		if err != nil || math.IsInf(f, 0) {
			return string(v)
		}
		return f
	default:
		return x
	}
}
