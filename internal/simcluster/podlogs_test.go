package simcluster

import (
	"bytes"
	"regexp"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestContainerLogWriterWritesCRILines(t *testing.T) {
	var out bytes.Buffer
	w := NewContainerLogWriter(&out)
	for _, p := range []string{`{"msg":"one"}` + "\n", `{"msg":`, `"two"}` + "\n" + `{"msg":"three"}` + "\n", "partial"} {
		if n, err := w.Write([]byte(p)); err != nil || n != len(p) {
			t.Fatalf("Write(%q) = %d, %v", p, n, err)
		}
	}
	// <RFC 3339 time> <stream> F(ull line) <line>
	line := regexp.MustCompile(`(?m)^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z stdout F (.*)$`)
	var got []string
	for _, m := range line.FindAllStringSubmatch(out.String(), -1) {
		got = append(got, m[2])
	}
	want := []string{`{"msg":"one"}`, `{"msg":"two"}`, `{"msg":"three"}`}
	if diff := cmp.Diff(want, got); diff != "" || strings.Count(out.String(), "\n") != len(want) {
		t.Errorf("lines (-want +got):\n%s\nin %q", diff, out.String())
	}
}
