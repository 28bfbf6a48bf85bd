package jinja2

import (
	"context"
	"strings"
	"testing"
	"time"
)

// fuzzSeeds cover expressions, filters, loops, macros and whitespace control.
// They seed FuzzRender and are also checked against real Jinja2 by
// TestDifferential.
var fuzzSeeds = []string{
	"{{ 1 + 2 * 3 - 4 / 2 }}|{{ 7 // -2 }}|{{ -7 % 3 }}|{{ 2 ** 10 }}|{{ 2 ** -2 }}",
	"{{ 'a' ~ 1 ~ none ~ true }}|{{ [1, 'x', none] }}|{{ {'k': (1, 2)} }}",
	"{{ s | upper | replace('O', '0') }} {{ l | sort | join('-') }} {{ d | dictsort }}",
	"{{ users | map(attribute='name') | join(',') }} {{ users | selectattr('age', 'gt', 26) | list | length }}",
	"{{ users | groupby('team') | map('first') | list }}",
	"{% for u in users if u.age > 26 %}{{ loop.index }}/{{ loop.length }}:{{ u.name }}{% else %}none{% endfor %}",
	"{% for k, v in d.items() %}{% if loop.first %}[{% endif %}{{ k }}={{ v }}{% if not loop.last %},{% else %}]{% endif %}{% endfor %}",
	"{% for i in range(5) %}{% if i == 3 %}{% break %}{% endif %}{% if i is odd %}{% continue %}{% endif %}{{ i }}{% endfor %}",
	"{% macro m(a, b='B') %}{{ a }}{{ b }}{{ varargs }}{{ kwargs }}{% endmacro %}{{ m(1) }}{{ m(1, 2, 3, x=4) }}",
	"{% macro w() %}<{{ caller('in') }}>{% endmacro %}{% call(v) w() %}{{ v | upper }}{% endcall %}",
	"a\n  {%- if true -%}\n  b\n  {%- endif %}\n c {{- ' d ' -}} e\n",
	"{% set ns = namespace(x=0) %}{% for i in l %}{% set ns.x = ns.x + i %}{% endfor %}{{ ns.x }}",
	"{% set b %}  block {{ n }} {% endset %}[{{ b | trim }}]{% filter upper %}up{% endfilter %}",
	"{{ '%05.2f|%-4s|%x' % (f, 'ab', 255) }} {{ '{:>6}|{:.3f}'.format('r', f) }}",
	"{{ text | indent(2, true) }}\n{{ text | wordcount }} {{ text.splitlines() }}",
	"{{ nothing is none }} {{ missing is defined }} {{ missing | default('dflt') }} {{ nothing | default('x') }}",
	"{{ 0.1 + 0.2 }} {{ 1e20 }} {{ 1/3 }} {{ 2.5 | round }} {{ 3.5 | round }} {{ -0.0 }}",
	"{% raw %}{{ raw }}{% endraw %}{# c #}{{ '{%' }}",
	"{{ missing }}",
	"{{ d.nope.deeper }}",
	"{% if %}",
	"{{ 1 + }}",
	"{% for %}{% endfor %}",
	"{{ 'a' + 1 }}",
	"{{ 1 / 0 }}",
	"{{ {'b': [1, {'c': 'multi\\nline'}], 'a': 'yes', '': none, 'k': 'a: b'} | to_yaml }}",
	"{{ ['x' | tojson, '<' | e, '<' | safe + '<', ('<%s>' | safe) % '&'] }}",
	"{{ 'well-known co-op supercalifragilistic x--y' | wordwrap(7) }}|{{ users | pprint }}",
	"{{ {'word word word word word word word word word word word word word word word word end': 'tab\\tin' * 20} | to_yaml }}",
	"{{ range }} {{ dict }} {{ d.keys() }} {{ l | reverse }} {{ 1e3 // 0.1 }} {{ 0.3 ** 3 }}",
}

func FuzzRender(f *testing.F) {
	for _, s := range fuzzSeeds {
		f.Add(s, true)
	}
	vars := diffVars(f)
	envs := map[bool]*Environment{}
	for _, strict := range []bool{true, false} {
		env, err := NewEnvironment(Options{Strict: strict, MaxSteps: 100000, MaxRecursion: 50})
		if err != nil {
			f.Fatal(err)
		}
		envs[strict] = env
	}
	f.Fuzz(func(t *testing.T, src string, strict bool) {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		out, err := envs[strict].RenderString(ctx, "fuzz", src, vars)
		if err != nil {
			if strings.Contains(err.Error(), "internal error") {
				t.Fatalf("engine panicked on %q: %v", src, err)
			}
			if _, ok := err.(*TemplateError); !ok {
				t.Fatalf("error is not a *TemplateError: %T %v", err, err)
			}
			return
		}
		if !strings.Contains(src, "{") && out != src {
			t.Fatalf("text without '{' changed: %q -> %q", src, out)
		}
	})
}
