package jinja2

import (
	"context"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// regressionCases are differences between this engine and real Jinja2
// found while building it; want is what Jinja2 3.1 printed.
var regressionCases = []struct {
	name                     string
	template                 string
	want                     string
	wantErr                  string // "Kind: message" when Jinja2 raised
	lenient                  bool
	trimBlocks, lstripBlocks bool
}{
	{name: "if-test-needs-block-end", template: "{% if true %}a{% endif %}", want: "a"},
}

func TestRegressions(t *testing.T) {
	vars := diffVars(t)
	for _, tc := range regressionCases {
		t.Run(tc.name, func(t *testing.T) {
			env, err := NewEnvironment(Options{Strict: !tc.lenient, TrimBlocks: tc.trimBlocks, LstripBlocks: tc.lstripBlocks})
			if err != nil {
				t.Fatal(err)
			}
			got, err := env.RenderString(context.Background(), "regression", tc.template, vars)
			if tc.wantErr != "" {
				te, ok := err.(*TemplateError)
				if !ok {
					t.Fatalf("want error %q, got %q, %v", tc.wantErr, got, err)
				}
				if diff := cmp.Diff(tc.wantErr, te.Kind+": "+te.Message); diff != "" {
					t.Fatalf("error mismatch (-want +got):\n%s", diff)
				}
				return
			}
			if err != nil {
				t.Fatalf("unexpected error: %v", err)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Fatalf("output mismatch (-want +got):\n%s", diff)
			}
		})
	}
}
