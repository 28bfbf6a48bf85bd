package jinja2

import (
	"math/big"
	"strings"
	"unicode"
)

// testFunc implements a test: `v is name(args)`.
type testFunc func(r *renderer, v any, a *args) (bool, error)

func testArg(a *args) any {
	v, _ := a.get(0, "other")
	return v
}

func cmpTest(op string) testFunc {
	return func(r *renderer, v any, a *args) (bool, error) {
		return compareOp(op, v, testArg(a))
	}
}

func isUndef(v any) bool {
	_, ok := v.(*Undefined)
	return ok
}

func intParity(v any, odd bool) (bool, error) {
	if u, ok := v.(*Undefined); ok {
		return false, u.err()
	}
	if !isNumber(v) {
		_, err := numOrStrMod(v)
		return false, err
	}
	if isIntLike(v) {
		m := new(big.Int).Mod(toBig(v), big.NewInt(2)).Int64()
		return (m == 1) == odd, nil
	}
	if fv, ok := v.(float64); ok {
		m := floatMod(fv, 2)
		if odd {
			return m == 1, nil
		}
		return m == 0, nil
	}
	return false, typeError("not all arguments converted during string formatting")
}

// numOrStrMod evaluates value % 2 for a non-number, which fails like Python.
func numOrStrMod(v any) (any, error) {
	if s, ok := v.(string); ok {
		return percentFormat(s, int64(2))
	}
	return nil, typeError("unsupported operand type(s) for %%: '%s' and 'int'", typeName(v))
}

func isCallable(v any) bool {
	switch v.(type) {
	case *builtinFunc, *Macro, *boundMethod, *joiner, *loopObj, *Undefined:
		return true
	}
	return false
}

func builtinTests() map[string]testFunc {
	m := map[string]testFunc{
		"defined":   func(r *renderer, v any, a *args) (bool, error) { return !isUndef(v), nil },
		"undefined": func(r *renderer, v any, a *args) (bool, error) { return isUndef(v), nil },
		"none":      func(r *renderer, v any, a *args) (bool, error) { return v == nil, nil },
		"boolean": func(r *renderer, v any, a *args) (bool, error) {
			_, ok := v.(bool)
			return ok, nil
		},
		"false": func(r *renderer, v any, a *args) (bool, error) {
			b, ok := v.(bool)
			return ok && !b, nil
		},
		"true": func(r *renderer, v any, a *args) (bool, error) {
			b, ok := v.(bool)
			return ok && b, nil
		},
		"integer": func(r *renderer, v any, a *args) (bool, error) {
			switch v.(type) {
			case int64, *big.Int:
				return true, nil
			}
			return false, nil
		},
		"float": func(r *renderer, v any, a *args) (bool, error) {
			_, ok := v.(float64)
			return ok, nil
		},
		"number": func(r *renderer, v any, a *args) (bool, error) { return isNumber(v), nil },
		"string": func(r *renderer, v any, a *args) (bool, error) {
			_, ok := demote(v).(string)
			return ok, nil
		},
		"mapping": func(r *renderer, v any, a *args) (bool, error) {
			_, ok := v.(*Dict)
			return ok, nil
		},
		"sequence": func(r *renderer, v any, a *args) (bool, error) {
			switch x := v.(type) {
			case string, *List, *Tuple, *Dict, *Range:
				return true, nil
			case *Undefined:
				return false, x.errIfStrict()
			}
			return false, nil
		},
		"iterable": func(r *renderer, v any, a *args) (bool, error) {
			switch x := v.(type) {
			case string, *List, *Tuple, *Dict, *Range, *Generator:
				return true, nil
			case *Undefined:
				return true, x.errIfStrict()
			}
			return false, nil
		},
		"callable": func(r *renderer, v any, a *args) (bool, error) {
			if n := len(a.pos) + len(a.kw); n > 0 {
				return false, typeError("callable() takes exactly one argument (%d given)", n+1)
			}
			return isCallable(v), nil
		},
		"sameas": func(r *renderer, v any, a *args) (bool, error) {
			o := testArg(a)
			switch x := v.(type) {
			case nil, bool:
				return v == o, nil
			case int64:
				y, ok := o.(int64)
				return ok && x == y && x >= -5 && x <= 256, nil
			case string:
				y, ok := o.(string)
				return ok && x == y, nil
			}
			return v == o, nil
		},
		"escaped": func(r *renderer, v any, a *args) (bool, error) { return false, nil },
		"in": func(r *renderer, v any, a *args) (bool, error) {
			return contains(testArg(a), v)
		},
		"eq": cmpTest("=="), "equalto": cmpTest("=="), "==": cmpTest("=="),
		"ne": cmpTest("!="), "!=": cmpTest("!="),
		"lt": cmpTest("<"), "lessthan": cmpTest("<"), "<": cmpTest("<"),
		"le": cmpTest("<="), "<=": cmpTest("<="),
		"gt": cmpTest(">"), "greaterthan": cmpTest(">"), ">": cmpTest(">"),
		"ge": cmpTest(">="), ">=": cmpTest(">="),
		"lower": func(r *renderer, v any, a *args) (bool, error) {
			s, err := strValue(v)
			if err != nil {
				return false, err
			}
			res, _ := strPredicate(s, "islower")
			return res.(bool), nil
		},
		"upper": func(r *renderer, v any, a *args) (bool, error) {
			s, err := strValue(v)
			if err != nil {
				return false, err
			}
			res, _ := strPredicate(s, "isupper")
			return res.(bool), nil
		},
		"even": func(r *renderer, v any, a *args) (bool, error) { return intParity(v, false) },
		"odd":  func(r *renderer, v any, a *args) (bool, error) { return intParity(v, true) },
		"divisibleby": func(r *renderer, v any, a *args) (bool, error) {
			res, err := r.binOp("%", v, testArg(a))
			if err != nil {
				return false, err
			}
			return equal(res, int64(0)), nil
		},
		"filter": func(r *renderer, v any, a *args) (bool, error) {
			s, ok := v.(string)
			return ok && r.env.filters[s] != nil, nil
		},
		"test": func(r *renderer, v any, a *args) (bool, error) {
			s, ok := v.(string)
			return ok && r.env.tests[s] != nil, nil
		},
	}
	for _, name := range []string{"odd", "even", "defined", "undefined", "filter", "test", "none",
		"boolean", "false", "true", "integer", "float", "lower", "upper", "string", "mapping",
		"number", "sequence", "iterable", "escaped"} {
		m[name] = oneArgTest(name, m[name])
	}
	return m
}

// oneArgTest rejects extra arguments like the Python test_* functions.
func oneArgTest(name string, fn testFunc) testFunc {
	return func(r *renderer, v any, a *args) (bool, error) {
		if n := len(a.pos) + len(a.kw); n > 0 {
			if len(a.kw) > 0 {
				return false, typeError("test_%s() got an unexpected keyword argument '%s'", name, a.kw[0].name)
			}
			return false, typeError("test_%s() takes 1 positional argument but %d were given", name, n+1)
		}
		return fn(r, v, a)
	}
}

func (u *Undefined) errIfStrict() error {
	if u.kind == undefStrict {
		return u.err()
	}
	return nil
}

// lipsumWords is the vocabulary of the lipsum() global.
const lipsumWords = "lorem ipsum dolor sit amet consectetur adipiscing elit sed do eiusmod tempor incididunt ut labore et dolore magna aliqua"

func lipsum(n int64) string {
	words := strings.Fields(lipsumWords)
	var paras []string
	for i := int64(0); i < n; i++ {
		p := strings.Join(words, " ") + "."
		paras = append(paras, string(unicode.ToUpper(rune(p[0])))+p[1:])
	}
	return strings.Join(paras, "\n\n")
}
