package project

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestGitIncludeForms(t *testing.T) {
	for _, tc := range []struct {
		yaml string
		want GitInclude
	}{
		{"git: https://example.com/a.git", GitInclude{URL: "https://example.com/a.git"}},
		{"git: {url: u, ref: main}", GitInclude{URL: "u", Ref: &GitRef{Name: "main"}}},
		{"git: {url: u, ref: {tag: v1}, subDir: x/y}", GitInclude{URL: "u", Ref: &GitRef{Tag: "v1"}, SubDir: "x/y"}},
		{"git: {url: u, ref: {commit: abc}}", GitInclude{URL: "u", Ref: &GitRef{Commit: "abc"}}},
	} {
		var it ItemConfig
		if err := decodeStrict("deployment.yml", []byte(tc.yaml), &it); err != nil {
			t.Fatalf("%s: %v", tc.yaml, err)
		}
		if diff := cmp.Diff(&tc.want, it.Git); diff != "" {
			t.Errorf("%s (-want +got):\n%s", tc.yaml, diff)
		}
	}
	var it ItemConfig
	if err := decodeStrict("deployment.yml", []byte("git: {url: u, reff: x}"), &it); err == nil {
		t.Errorf("an unknown field of git is accepted")
	}
	if err := decodeStrict("deployment.yml", []byte("git: {url: u, ref: {branch: a, foo: b}}"), &it); err == nil {
		t.Errorf("an unknown field of ref is accepted")
	}
}
