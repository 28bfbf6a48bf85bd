package jinja2

import (
	"math"
	"math/big"
	"strings"
)

// maxNestingDepth bounds the recursion over nested (possibly
// self-referencing) containers when serializing or copying them.
const maxNestingDepth = 500

// maxIntBits caps the size of integers produced by ** and * to keep a
// template from exhausting memory.
const maxIntBits = 1 << 16

// maxSeqLen caps strings and lists built by repetition.
const maxSeqLen = 64 << 20

func isNumber(v any) bool {
	switch v.(type) {
	case int64, float64, bool, *big.Int:
		return true
	}
	return false
}

func toBig(v any) *big.Int {
	switch x := v.(type) {
	case int64:
		return big.NewInt(x)
	case bool:
		if x {
			return big.NewInt(1)
		}
		return big.NewInt(0)
	case *big.Int:
		return x
	}
	return nil
}

func normBig(b *big.Int) any {
	if b.IsInt64() {
		return b.Int64()
	}
	return b
}

func toFloat(v any) (float64, bool) {
	switch x := v.(type) {
	case float64:
		return x, true
	case int64:
		return float64(x), true
	case bool:
		if x {
			return 1, true
		}
		return 0, true
	case *big.Int:
		f, _ := new(big.Float).SetInt(x).Float64()
		return f, true
	}
	return 0, false
}

// intOf returns v as int64 when v is an int or bool.
func intOf(v any) (int64, bool) {
	switch x := v.(type) {
	case int64:
		return x, true
	case bool:
		if x {
			return 1, true
		}
		return 0, true
	}
	return 0, false
}

func isIntLike(v any) bool {
	switch v.(type) {
	case int64, bool, *big.Int:
		return true
	}
	return false
}

func opSymbol(op string) string { return op }

func unsupported(op string, a, b any) error {
	if op == "**" {
		op = "** or pow()"
	}
	return typeError("unsupported operand type(s) for %s: '%s' and '%s'", opSymbol(op), typeName(a), typeName(b))
}

// binOp applies an arithmetic operator with Python semantics.
func (r *renderer) binOp(op string, a, b any) (any, error) {
	if ua, ok := a.(*Undefined); ok {
		if ua.kind == undefLenient {
			return ua, nil
		}
		return nil, ua.err()
	}
	if ub, ok := b.(*Undefined); ok {
		if s, isStr := a.(string); isStr && op == "%" {
			return percentFormat(s, ub)
		}
		if ub.kind == undefLenient {
			return ub, nil
		}
		return nil, ub.err()
	}
	if isNumber(a) && isNumber(b) {
		return numOp(op, a, b)
	}
	if v, ok, err := r.markupBinOp(op, a, b); ok {
		return v, err
	}
	a, b = demote(a), demote(b)
	switch op {
	case "+":
		switch x := a.(type) {
		case string:
			if y, ok := b.(string); ok {
				return x + y, nil
			}
			return nil, typeError("can only concatenate str (not \"%s\") to str", typeName(b))
		case *List:
			if y, ok := b.(*List); ok {
				items := make([]any, 0, len(x.Items)+len(y.Items))
				return &List{Items: append(append(items, x.Items...), y.Items...)}, nil
			}
			return nil, typeError("can only concatenate list (not \"%s\") to list", typeName(b))
		case *Tuple:
			if y, ok := b.(*Tuple); ok {
				items := make([]any, 0, len(x.Items)+len(y.Items))
				return &Tuple{Items: append(append(items, x.Items...), y.Items...)}, nil
			}
			return nil, typeError("can only concatenate tuple (not \"%s\") to tuple", typeName(b))
		}
	case "*":
		if n, ok := intOf(b); ok {
			if v, ok, err := repeatSeq(a, n); ok {
				return v, err
			}
		}
		if n, ok := intOf(a); ok {
			if v, ok, err := repeatSeq(b, n); ok {
				return v, err
			}
		}
		if _, ok := a.(string); ok {
			return nil, typeError("can't multiply sequence by non-int of type '%s'", typeName(b))
		}
	case "%":
		if s, ok := a.(string); ok {
			return percentFormat(s, b)
		}
	}
	return nil, unsupported(op, a, b)
}

func repeatSeq(v any, n int64) (any, bool, error) {
	if n < 0 {
		n = 0
	}
	switch x := v.(type) {
	case string:
		if int64(len(x))*n > maxSeqLen {
			return nil, true, newRuntimeError("MemoryError", "string repetition result too large")
		}
		return strings.Repeat(x, int(n)), true, nil
	case *List:
		if int64(len(x.Items))*n > maxSeqLen/8 {
			return nil, true, newRuntimeError("MemoryError", "list repetition result too large")
		}
		items := make([]any, 0, len(x.Items)*int(n))
		for i := int64(0); i < n; i++ {
			items = append(items, x.Items...)
		}
		return &List{Items: items}, true, nil
	case *Tuple:
		if int64(len(x.Items))*n > maxSeqLen/8 {
			return nil, true, newRuntimeError("MemoryError", "tuple repetition result too large")
		}
		items := make([]any, 0, len(x.Items)*int(n))
		for i := int64(0); i < n; i++ {
			items = append(items, x.Items...)
		}
		return &Tuple{Items: items}, true, nil
	}
	return nil, false, nil
}

func numOp(op string, a, b any) (any, error) {
	_, af := a.(float64)
	_, bf := b.(float64)
	if !af && !bf && op != "/" {
		x, xok := intOf(a)
		y, yok := intOf(b)
		if xok && yok {
			if v, ok, err := smallIntOp(op, x, y); ok {
				return v, err
			}
		}
		return bigIntOp(op, toBig(a), toBig(b))
	}
	x, _ := toFloat(a)
	y, _ := toFloat(b)
	switch op {
	case "+":
		return x + y, nil
	case "-":
		return x - y, nil
	case "*":
		return x * y, nil
	case "/":
		if y == 0 {
			return nil, newRuntimeError(KindZeroDiv, "division by zero")
		}
		return x / y, nil
	case "//":
		if y == 0 {
			return nil, newRuntimeError(KindZeroDiv, "float floor division by zero")
		}
		q, _ := floatDivmod(x, y)
		return q, nil
	case "%":
		if y == 0 {
			return nil, newRuntimeError(KindZeroDiv, "float modulo")
		}
		return floatMod(x, y), nil
	case "**":
		if x == 0 && y < 0 {
			return nil, newRuntimeError(KindZeroDiv, "0.0 cannot be raised to a negative power")
		}
		p := floatPow(x, y)
		if math.IsInf(p, 0) && !math.IsInf(x, 0) && !math.IsInf(y, 0) {
			return nil, newRuntimeError("OverflowError", "(34, 'Numerical result out of range')")
		}
		return p, nil
	}
	return nil, unsupported(op, a, b)
}

// floatDivmod is CPython's float_divmod.
func floatDivmod(vx, wx float64) (float64, float64) {
	mod := math.Mod(vx, wx)
	div := (vx - mod) / wx
	if mod != 0 {
		if (wx < 0) != (mod < 0) {
			mod += wx
			div -= 1
		}
	} else {
		mod = math.Copysign(0, wx)
	}
	var floordiv float64
	if div != 0 {
		floordiv = math.Floor(div)
		if div-floordiv > 0.5 {
			floordiv++
		}
	} else {
		floordiv = math.Copysign(0, vx/wx)
	}
	return floordiv, mod
}

func floatMod(x, y float64) float64 {
	m := math.Mod(x, y)
	if m != 0 && (m < 0) != (y < 0) {
		m += y
	}
	if m == 0 {
		m = math.Copysign(0, y)
	}
	return m
}

func smallIntOp(op string, x, y int64) (any, bool, error) {
	switch op {
	case "+":
		s := x + y
		if (s > x) == (y > 0) {
			return s, true, nil
		}
	case "-":
		s := x - y
		if (s < x) == (y > 0) {
			return s, true, nil
		}
	case "*":
		if x == 0 || y == 0 {
			return int64(0), true, nil
		}
		p := x * y
		if p/y == x && !(x == -1 && y == math.MinInt64) && !(y == -1 && x == math.MinInt64) {
			return p, true, nil
		}
	case "//", "%":
		if y == 0 {
			return nil, true, newRuntimeError(KindZeroDiv, "integer division or modulo by zero")
		}
		if x == math.MinInt64 && y == -1 {
			return nil, false, nil
		}
		q, m := x/y, x%y
		if m != 0 && (m < 0) != (y < 0) {
			q--
			m += y
		}
		if op == "//" {
			return q, true, nil
		}
		return m, true, nil
	case "**":
		if y < 0 {
			if x == 0 {
				return nil, true, newRuntimeError(KindZeroDiv, "0.0 cannot be raised to a negative power")
			}
			return floatPow(float64(x), float64(y)), true, nil
		}
	}
	return nil, false, nil
}

func bigIntOp(op string, x, y *big.Int) (any, error) {
	z := new(big.Int)
	switch op {
	case "+":
		z.Add(x, y)
	case "-":
		z.Sub(x, y)
	case "*":
		if x.BitLen()+y.BitLen() > maxIntBits {
			return nil, newRuntimeError("OverflowError", "integer too large")
		}
		z.Mul(x, y)
	case "//", "%":
		if y.Sign() == 0 {
			return nil, newRuntimeError(KindZeroDiv, "integer division or modulo by zero")
		}
		q, m := new(big.Int), new(big.Int)
		q.DivMod(x, y, m) // Euclidean: m >= 0
		if m.Sign() != 0 && y.Sign() < 0 {
			q.Add(q, big.NewInt(1))
			m.Add(m, y)
		}
		if op == "//" {
			return normBig(q), nil
		}
		return normBig(m), nil
	case "**":
		if y.Sign() < 0 {
			fx, _ := new(big.Float).SetInt(x).Float64()
			fy, _ := new(big.Float).SetInt(y).Float64()
			return floatPow(fx, fy), nil
		}
		if y.Sign() == 0 {
			return int64(1), nil
		}
		if x.CmpAbs(big.NewInt(1)) <= 0 {
			if x.Sign() < 0 && y.Bit(0) == 0 {
				return int64(1), nil
			}
			return normBig(x), nil
		}
		if !y.IsInt64() || int64(x.BitLen())*y.Int64() > maxIntBits {
			return nil, newRuntimeError("OverflowError", "integer too large")
		}
		z.Exp(x, y, nil)
	default:
		return nil, unsupported(op, x, y)
	}
	return normBig(z), nil
}

// floatPow is x**y with the result correctly rounded for integer exponents,
// as C's pow (and so Python) computes it; Go's math.Pow can be 1 ulp off.
func floatPow(x, y float64) float64 {
	if y == math.Trunc(y) && math.Abs(y) <= 1024 && x != 0 && !math.IsInf(x, 0) && !math.IsNaN(x) {
		n := int64(math.Abs(y))
		base := new(big.Float).SetPrec(256).SetFloat64(x)
		acc := new(big.Float).SetPrec(256).SetInt64(1)
		for n > 0 {
			if n&1 == 1 {
				acc.Mul(acc, base)
			}
			base.Mul(base, base)
			n >>= 1
		}
		if y < 0 {
			acc.Quo(new(big.Float).SetPrec(256).SetInt64(1), acc)
		}
		f, _ := acc.Float64()
		return f
	}
	return math.Pow(x, y)
}
