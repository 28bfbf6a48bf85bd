package jinja2

// expr is an expression node; eval computes its value.
type expr interface {
	eval(r *renderer, f *frame) (any, error)
}

// stmt is a statement node; exec writes its output to w.
type stmt interface {
	exec(r *renderer, f *frame, w *output) error
}

type constExpr struct{ val any }

type nameExpr struct {
	name string
	line int
}

type getattrExpr struct {
	obj  expr
	attr string
	line int
}

type getitemExpr struct {
	obj  expr
	key  expr
	line int
}

type sliceExpr struct{ start, stop, step expr }

type binExpr struct {
	op   string
	l, r expr
	line int
}

type unaryExpr struct {
	op string
	x  expr
}

type notExpr struct{ x expr }

type andExpr struct{ l, r expr }

type orExpr struct{ l, r expr }

type cmpOp struct {
	op string
	e  expr
}

type compareExpr struct {
	first expr
	ops   []cmpOp
}

type concatExpr struct{ parts []expr }

type condExpr struct {
	test, a, b expr
	line       int
}

type listExpr struct{ items []expr }

type tupleExpr struct{ items []expr }

type dictExpr struct{ keys, vals []expr }

type kwArg struct {
	name string
	val  expr
}

type callArgs struct {
	args      []expr
	kwargs    []kwArg
	dynArgs   expr
	dynKwargs expr
}

type callExpr struct {
	fn expr
	callArgs
	line int
}

type filterExpr struct {
	x    expr // nil in filter blocks: the input is supplied by the caller
	name string
	fn   filterFunc
	soft bool // inside an if or inline if: unknown names fail at runtime
	callArgs
	line int
}

type testExpr struct {
	x    expr
	name string
	fn   testFunc
	soft bool
	callArgs
	line int
}

// nsRefExpr is the assignment target ns.attr in {% set ns.attr = ... %}.
type nsRefExpr struct {
	name, attr string
	line       int
}

type dataStmt struct{ text string }

type printStmt struct {
	x    expr
	line int
}

type ifStmt struct {
	conds  []expr
	lines  []int // line of the if or elif tag of each condition
	bodies [][]stmt
	els    []stmt
	line   int
}

type forStmt struct {
	target    expr
	iter      expr
	filter    expr
	body, els []stmt
	recursive bool
	line      int
}

type setStmt struct {
	target expr
	value  expr
	line   int
}

type setBlockStmt struct {
	target  expr
	filters []*filterExpr
	body    []stmt
	line    int
}

type macroDef struct {
	name      string
	params    []string
	defaults  []expr // aligned to the last len(defaults) params
	body      []stmt
	catchVarg bool
	catchKw   bool
	caller    bool
	line      int
}

type macroStmt struct{ def *macroDef }

type callBlockStmt struct {
	call *callExpr
	def  *macroDef
	line int
}

type filterBlockStmt struct {
	filters []*filterExpr
	body    []stmt
	line    int
}

type withStmt struct {
	targets []expr
	values  []expr
	body    []stmt
	line    int
	// valueLine is the line Jinja2 reports for errors in the values: its
	// code generator emits them without a line marker of their own.
	valueLine int
}

type includeStmt struct {
	tmpl          expr
	ignoreMissing bool
	withContext   bool
	line          int
}

type importStmt struct {
	tmpl        expr
	target      string
	withContext bool
	line        int
}

type fromImportStmt struct {
	tmpl        expr
	names       [][2]string
	withContext bool
	line        int
}

type extendsStmt struct {
	tmpl expr
	line int
}

type blockStmt struct {
	name     string
	body     []stmt
	scoped   bool
	required bool
	line     int
}

type loopControlStmt struct {
	sig  controlSignal
	line int
}

type doStmt struct {
	x    expr
	line int
}
