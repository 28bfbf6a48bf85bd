package jinja2

import (
	"context"
	"fmt"
	"strings"
	"testing"
)

func TestGoFuncGlobal(t *testing.T) {
	upper := NewFunc("shout", func(_ context.Context, args []any, kw map[string]any) (any, error) {
		if len(args) != 1 {
			return nil, fmt.Errorf("shout() takes one argument")
		}
		return fmt.Sprintf("%v!%v", args[0], kw["suffix"]), nil
	})
	env, err := NewEnvironment(Options{Strict: true, Globals: map[string]any{
		"shout": upper,
		"obj":   map[string]any{"fn": upper},
	}})
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct{ src, want, wantErr string }{
		{src: "{{ shout('a', suffix='?') }}", want: "a!?"},
		{src: "{{ obj.fn(1) }}", want: "1!<nil>"},
		{src: "{{ shout() }}", wantErr: "takes one argument"},
		{src: "{{ shout(nope) }}", wantErr: "'nope' is undefined"},
	}
	for _, tc := range cases {
		got, err := env.RenderString(context.Background(), "t", tc.src, nil)
		if tc.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Errorf("%s: error %v, want %q", tc.src, err, tc.wantErr)
			}
			continue
		}
		if err != nil || got != tc.want {
			t.Errorf("%s = %q, %v; want %q", tc.src, got, err, tc.want)
		}
	}
}
