package jinja2

import (
	"math"
	"strconv"
	"strings"

	yaml "go.yaml.in/yaml/v3"
)

// fromYAML parses YAML text into template values the way PyYAML's
// safe_load resolves YAML 1.1 plain scalars (yes/no are booleans, 010 is
// octal, y is a string), keeping mapping order.
func fromYAML(s string) (any, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal([]byte(s), &doc); err != nil {
		return nil, valueError("from_yaml: %v", err)
	}
	if doc.Kind == 0 || len(doc.Content) == 0 {
		return nil, nil
	}
	return yamlNodeValue(doc.Content[0], 0)
}

func yamlNodeValue(n *yaml.Node, depth int) (any, error) {
	if depth > 1000 {
		return nil, valueError("from_yaml: document nested too deeply")
	}
	switch n.Kind {
	case yaml.DocumentNode:
		if len(n.Content) == 0 {
			return nil, nil
		}
		return yamlNodeValue(n.Content[0], depth+1)
	case yaml.AliasNode:
		return yamlNodeValue(n.Alias, depth+1)
	case yaml.SequenceNode:
		items := make([]any, len(n.Content))
		for i, c := range n.Content {
			v, err := yamlNodeValue(c, depth+1)
			if err != nil {
				return nil, err
			}
			items[i] = v
		}
		return &List{Items: items}, nil
	case yaml.MappingNode:
		d := &Dict{}
		for i := 0; i+1 < len(n.Content); i += 2 {
			kn, vn := n.Content[i], n.Content[i+1]
			if kn.Kind == yaml.ScalarNode && kn.Value == "<<" && kn.Style == 0 {
				if err := yamlMerge(d, vn, depth); err != nil {
					return nil, err
				}
				continue
			}
			k, err := yamlNodeValue(kn, depth+1)
			if err != nil {
				return nil, err
			}
			v, err := yamlNodeValue(vn, depth+1)
			if err != nil {
				return nil, err
			}
			if err := d.Set(k, v); err != nil {
				return nil, err
			}
		}
		return d, nil
	}
	return yamlScalar(n), nil
}

func yamlMerge(d *Dict, vn *yaml.Node, depth int) error {
	v, err := yamlNodeValue(vn, depth+1)
	if err != nil {
		return err
	}
	var srcs []any
	if l, ok := v.(*List); ok {
		srcs = l.Items
	} else {
		srcs = []any{v}
	}
	for _, s := range srcs {
		sd, ok := s.(*Dict)
		if !ok {
			continue
		}
		for i, k := range sd.keys {
			if _, exists := d.Get(k); !exists {
				_ = d.Set(k, sd.vals[i])
			}
		}
	}
	return nil
}

func yamlScalar(n *yaml.Node) any {
	tag := n.Tag
	if n.Style&(yaml.DoubleQuotedStyle|yaml.SingleQuotedStyle|yaml.LiteralStyle|yaml.FoldedStyle) != 0 {
		if tag == "" || tag == "!!str" || tag == "!" {
			return n.Value
		}
	}
	s := n.Value
	kind := ""
	if n.Style&yaml.TaggedStyle == 0 {
		tag = "" // the tag go-yaml resolved with YAML 1.2 rules; PyYAML uses YAML 1.1
	}
	switch tag {
	case "!!str", "!":
		return s
	case "!!int":
		kind = "int"
	case "!!float":
		kind = "float"
	case "!!bool":
		kind = "bool"
	case "!!null":
		kind = "null"
	default:
		kind = yamlImplicitTag(s)
	}
	switch kind {
	case "null":
		return nil
	case "bool":
		switch strings.ToLower(s) {
		case "yes", "true", "on":
			return true
		}
		return false
	case "int":
		if v, ok := yamlParseInt(s); ok {
			return v
		}
	case "float":
		if v, ok := yamlParseFloat(s); ok {
			return v
		}
	}
	return s
}

func yamlParseInt(s string) (any, bool) {
	s = strings.ReplaceAll(s, "_", "")
	sign := int64(1)
	if strings.HasPrefix(s, "-") {
		sign = -1
		s = s[1:]
	} else if strings.HasPrefix(s, "+") {
		s = s[1:]
	}
	var v any
	var ok bool
	switch {
	case s == "0":
		return int64(0), true
	case strings.HasPrefix(s, "0b"):
		v, ok = pyParseInt(s[2:], 2)
	case strings.HasPrefix(s, "0x"):
		v, ok = pyParseInt(s[2:], 16)
	case strings.HasPrefix(s, "0"):
		v, ok = pyParseInt(s[1:], 8)
	case strings.Contains(s, ":"):
		var total int64
		for _, p := range strings.Split(s, ":") {
			n, err := strconv.ParseInt(p, 10, 64)
			if err != nil {
				return nil, false
			}
			total = total*60 + n
		}
		v, ok = total, true
	default:
		v, ok = pyParseInt(s, 10)
	}
	if !ok {
		return nil, false
	}
	if sign < 0 {
		neg, err := numOp("-", int64(0), v)
		return neg, err == nil
	}
	return v, true
}

func yamlParseFloat(s string) (float64, bool) {
	s = strings.ToLower(strings.ReplaceAll(s, "_", ""))
	sign := 1.0
	if strings.HasPrefix(s, "-") {
		sign = -1
		s = s[1:]
	} else if strings.HasPrefix(s, "+") {
		s = s[1:]
	}
	switch s {
	case ".inf":
		return sign * math.Inf(1), true
	case ".nan":
		return math.NaN(), true
	}
	if strings.Contains(s, ":") {
		var total float64
		for _, p := range strings.Split(s, ":") {
			f, err := strconv.ParseFloat(p, 64)
			if err != nil {
				return 0, false
			}
			total = total*60 + f
		}
		return sign * total, true
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil && !isRangeErr(err) {
		return 0, false
	}
	return sign * f, true
}
