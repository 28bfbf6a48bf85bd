package jinja2

import (
	"fmt"
	"math"
	"math/big"
	"strconv"
	"strings"
)

func filterAbs(r *renderer, f *frame, v any, a *args) (any, error) {
	switch x := v.(type) {
	case int64:
		if x < 0 {
			return r.binOp("-", int64(0), x)
		}
		return x, nil
	case float64:
		return math.Abs(x), nil
	case bool:
		n, _ := intOf(x)
		return n, nil
	case *big.Int:
		return normBig(new(big.Int).Abs(x)), nil
	case *Undefined:
		return nil, x.err()
	}
	return nil, typeError("bad operand type for abs(): '%s'", typeName(v))
}

// pyParseInt is Python's int(str, base).
func pyParseInt(s string, base int64) (any, bool) {
	s = strings.TrimFunc(s, pyIsSpace)
	neg := false
	if s != "" && (s[0] == '+' || s[0] == '-') {
		neg = s[0] == '-'
		s = s[1:]
	}
	low := strings.ToLower(s)
	prefix := func(p string, b int64) bool {
		if strings.HasPrefix(low, p) && (base == b || base == 0) {
			s = s[2:]
			base = b
			return true
		}
		return false
	}
	if !prefix("0x", 16) && !prefix("0o", 8) && !prefix("0b", 2) && base == 0 {
		base = 10
		if len(s) > 1 && s[0] == '0' && strings.Trim(s, "0_") != "" {
			return nil, false
		}
	}
	s = strings.TrimPrefix(s, "_")
	if s == "" || strings.Contains(s, "__") || strings.HasSuffix(s, "_") {
		return nil, false
	}
	s = strings.ReplaceAll(s, "_", "")
	if base < 2 || base > 36 {
		return nil, false
	}
	b, ok := new(big.Int).SetString(s, int(base))
	if !ok {
		return nil, false
	}
	if neg {
		b.Neg(b)
	}
	return normBig(b), true
}

// pyParseFloat is Python's float(str).
func pyParseFloat(s string) (float64, bool) {
	s = strings.TrimFunc(s, pyIsSpace)
	low := strings.ToLower(strings.TrimLeft(s, "+-"))
	switch low {
	case "inf", "infinity", "nan":
		f, _ := strconv.ParseFloat(strings.Replace(strings.ToLower(s), "infinity", "inf", 1), 64)
		return f, true
	}
	if strings.Contains(s, "__") || strings.HasPrefix(low, "_") || strings.HasSuffix(s, "_") || strings.Contains(low, "x") || strings.Contains(low, "p") {
		return 0, false
	}
	f, err := strconv.ParseFloat(strings.ReplaceAll(s, "_", ""), 64)
	if err != nil && !isRangeErr(err) {
		return 0, false
	}
	return f, true
}

func filterInt(r *renderer, f *frame, v any, a *args) (any, error) {
	def, ok := a.get(0, "default")
	if !ok {
		def = int64(0)
	}
	base, err := argInt(a, 1, "base", 10)
	if err != nil {
		return nil, err
	}
	switch x := v.(type) {
	case string:
		if n, ok := pyParseInt(x, base); ok {
			return n, nil
		}
		if fl, ok := pyParseFloat(x); ok && !math.IsInf(fl, 0) && !math.IsNaN(fl) {
			return floatToInt(fl), nil
		}
		return def, nil
	case int64, *big.Int:
		return x, nil
	case bool:
		n, _ := intOf(x)
		return n, nil
	case float64:
		if math.IsInf(x, 0) || math.IsNaN(x) {
			return def, nil
		}
		return floatToInt(x), nil
	case *Undefined:
		if x.kind == undefStrict {
			return nil, x.err()
		}
		return def, nil
	}
	return def, nil
}

func floatToInt(f float64) any {
	f = math.Trunc(f)
	if f >= -9.2e18 && f <= 9.2e18 {
		return int64(f)
	}
	b, _ := new(big.Float).SetFloat64(f).Int(nil)
	return normBig(b)
}

func filterFloat(r *renderer, f *frame, v any, a *args) (any, error) {
	def, ok := a.get(0, "default")
	if !ok {
		def = 0.0
	}
	switch x := v.(type) {
	case string:
		if fl, ok := pyParseFloat(x); ok {
			return fl, nil
		}
		return def, nil
	case *Undefined:
		if x.kind == undefStrict {
			return nil, x.err()
		}
		return def, nil
	}
	if fl, ok := toFloat(v); ok {
		return fl, nil
	}
	return def, nil
}

// pyRound is Python's round(x, ndigits) for floats.
func pyRound(x float64, nd int64) float64 {
	if math.IsInf(x, 0) || math.IsNaN(x) {
		return x
	}
	if nd > 300 {
		return x
	}
	if nd >= 0 {
		s := strconv.FormatFloat(x, 'f', int(nd), 64)
		v, _ := strconv.ParseFloat(s, 64)
		return v
	}
	p := math.Pow(10, float64(-nd))
	y := x / p
	z := math.RoundToEven(y)
	return z * p
}

func filterRound(r *renderer, f *frame, v any, a *args) (any, error) {
	prec, err := argInt(a, 0, "precision", 0)
	if err != nil {
		return nil, err
	}
	method := "common"
	if m, ok := a.get(1, "method"); ok {
		method = pyStr(m)
	}
	if u, ok := v.(*Undefined); ok {
		return nil, u.err()
	}
	switch method {
	case "common":
		if isIntLike(v) {
			n, _ := intOf(v)
			if prec >= 0 {
				return n, nil
			}
			p := int64(math.Pow(10, float64(-prec)))
			q, _, _ := smallIntOp("//", n, p)
			rem := n - q.(int64)*p
			qi := q.(int64)
			if rem*2 > p || (rem*2 == p && qi%2 != 0) {
				qi++
			}
			return qi * p, nil
		}
		x, ok := toFloat(v)
		if !ok {
			return nil, typeError("type %s doesn't define __round__ method", typeName(v))
		}
		return pyRound(x, prec), nil
	case "ceil", "floor":
		x, ok := toFloat(v)
		if !ok {
			return nil, typeError("must be real number, not %s", typeName(v))
		}
		p := math.Pow(10, float64(prec))
		if method == "ceil" {
			return math.Ceil(x*p) / p, nil
		}
		return math.Floor(x*p) / p, nil
	}
	return nil, newRuntimeError("FilterArgumentError", "method must be common, ceil or floor")
}

func filterFilesizeformat(r *renderer, f *frame, v any, a *args) (any, error) {
	var bytes float64
	switch x := v.(type) {
	case string:
		fl, ok := pyParseFloat(x)
		if !ok {
			return nil, valueError("could not convert string to float: %s", pyRepr(x))
		}
		bytes = fl
	default:
		fl, ok := toFloat(v)
		if !ok {
			return nil, typeError("float() argument must be a string or a real number, not '%s'", typeName(v))
		}
		bytes = fl
	}
	binary := boolArg(a, 0, "binary")
	base := 1000.0
	prefixes := []string{"kB", "MB", "GB", "TB", "PB", "EB", "ZB", "YB"}
	if binary {
		base = 1024
		prefixes = []string{"KiB", "MiB", "GiB", "TiB", "PiB", "EiB", "ZiB", "YiB"}
	}
	if bytes == 1 {
		return "1 Byte", nil
	}
	if bytes < base {
		return fmt.Sprintf("%d Bytes", floatToInt(bytes)), nil
	}
	var unit float64
	var prefix string
	for i, p := range prefixes {
		unit = math.Pow(base, float64(i+2))
		prefix = p
		if bytes < unit {
			break
		}
	}
	return fmt.Sprintf("%s %s", strconv.FormatFloat(base*bytes/unit, 'f', 1, 64), prefix), nil
}

func filterString(r *renderer, f *frame, v any, a *args) (any, error) {
	return strValue(v)
}
