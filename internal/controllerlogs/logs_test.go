package controllerlogs

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

func TestParseLine(t *testing.T) {
	tests := []struct {
		name   string
		line   string
		want   Line
		wantOK bool
	}{
		{
			name:   "funcr with RFC 3339 time",
			line:   `{"ts":"2024-05-01T10:00:01.25Z","msg":"m","name":"n","namespace":"ns","reconcileID":"id"}`,
			want:   Line{Time: time.Date(2024, 5, 1, 10, 0, 1, 250000000, time.UTC), Msg: "m", Name: "n", Namespace: "ns", ReconcileID: "id"},
			wantOK: true,
		},
		{
			name:   "funcr default time",
			line:   `{"ts":"2024-05-01 10:00:01.250000","msg":"m"}`,
			want:   Line{Time: time.Date(2024, 5, 1, 10, 0, 1, 250000000, time.Local), Msg: "m"},
			wantOK: true,
		},
		{
			name:   "zap epoch time",
			line:   `{"ts":1714557601.5,"msg":"m","error":"e"}`,
			want:   Line{Time: time.Unix(1714557601, 500000000), Msg: "m", Error: "e"},
			wantOK: true,
		},
		{
			name:   "a name that is no string",
			line:   `{"msg":"m","name":{"x":1}}`,
			want:   Line{Msg: "m"},
			wantOK: true,
		},
		{name: "plain text", line: `I0501 10:00:00 started`},
		{name: "a JSON array", line: `[1,2]`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := ParseLine([]byte(tt.line))
			if ok != tt.wantOK {
				t.Fatalf("ok = %v, want %v", ok, tt.wantOK)
			}
			if ok && string(got.Raw) != tt.line {
				t.Errorf("Raw = %s, want the line", got.Raw)
			}
			if diff := cmp.Diff(tt.want, got, cmpopts.IgnoreFields(Line{}, "Raw")); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}
