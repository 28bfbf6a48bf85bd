package gitopscmd

import (
	"bytes"
	"context"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"k8s.io/apimachinery/pkg/types"

	"github.com/kluctl-go/kluctl/internal/cli/factory"
	"github.com/kluctl-go/kluctl/internal/controllerlogs"
	"github.com/kluctl-go/kluctl/internal/iostreams"
)

// controllerLog is what the controller writes: funcr JSON lines of two
// reconciliations of two KluctlDeployments, a general line and some noise.
const controllerLog = `{"logger":"","ts":"2024-05-01T10:00:00.000Z","level":0,"msg":"Starting Controller","controller":"kluctldeployment"}
{"ts":"2024-05-01T10:00:01.000Z","level":0,"msg":"Fetching source","controller":"kluctldeployment","KluctlDeployment":{"name":"app","namespace":"team-a"},"namespace":"team-a","name":"app","reconcileID":"r1"}
{"ts":"2024-05-01T10:00:01.500Z","level":0,"msg":"Fetching source","KluctlDeployment":{"name":"db","namespace":"team-a"},"namespace":"team-a","name":"db","reconcileID":"r2"}
not json at all
{"ts":"2024-05-01T10:00:02.000Z","level":0,"msg":"Deploying","namespace":"team-a","name":"app","reconcileID":"r1"}
{"ts":"2024-05-01T10:00:03.000Z","msg":"Reconciliation failed","error":"boom","namespace":"team-a","name":"db","reconcileID":"r2"}
{"ts":"2024-05-01T10:00:04.000Z","level":0,"msg":"Reconciliation finished","namespace":"team-b","name":"app","reconcileID":"r3"}
{"ts":"2024-05-01T10:00:05.000Z","level":0,"msg":"Deploying","namespace":"team-a","name":"app","reconcileID":"r4"}
`

// printAll scans log with filter and prints the matches as printLogs does
// when the lines arrive at once.
func printAll(t *testing.T, log string, filter controllerlogs.Filter, withTime bool) (out, info string) {
	t.Helper()
	var o, i bytes.Buffer
	p := &logPrinter{out: &o, info: &i, withTime: withTime}
	if err := controllerlogs.Scan(strings.NewReader(log), filter, p.add); err != nil {
		t.Fatal(err)
	}
	p.flush()
	return o.String(), i.String()
}

func TestScanAndPrintLogs(t *testing.T) {
	app := types.NamespacedName{Namespace: "team-a", Name: "app"}
	db := types.NamespacedName{Namespace: "team-a", Name: "db"}
	tests := []struct {
		name     string
		filter   controllerlogs.Filter
		withTime bool
		wantOut  string
		wantInfo string
	}{
		{
			name:     "one deployment",
			filter:   controllerlogs.Filter{Objects: []types.NamespacedName{app}},
			wantOut:  "Fetching source\nDeploying\nDeploying\n",
			wantInfo: "Showing logs for team-a/app and reconciliation ID r1\nShowing logs for team-a/app and reconciliation ID r4\n",
		},
		{
			name:     "one reconciliation",
			filter:   controllerlogs.Filter{Objects: []types.NamespacedName{app}, ReconcileID: "r4"},
			wantOut:  "Deploying\n",
			wantInfo: "Showing logs for team-a/app and reconciliation ID r4\n",
		},
		{
			name:     "a reconciliation of another deployment",
			filter:   controllerlogs.Filter{Objects: []types.NamespacedName{db}, ReconcileID: "r1"},
			wantOut:  "",
			wantInfo: "",
		},
		{
			name:     "errors and timestamps",
			filter:   controllerlogs.Filter{Objects: []types.NamespacedName{db}},
			withTime: true,
			wantOut:  "2024-05-01T10:00:01Z: Fetching source\n2024-05-01T10:00:03Z: Reconciliation failed: boom\n",
			wantInfo: "Showing logs for team-a/db and reconciliation ID r2\n",
		},
		{
			name: "everything, grouped",
			// After the general line, the other groups wait for the
			// flush, which prints them in the order they began.
			wantOut: "Starting Controller\n" + "Fetching source\nDeploying\n" + "Fetching source\nReconciliation failed: boom\n" +
				"Reconciliation finished\n" + "Deploying\n",
			wantInfo: "Showing general controller logs\n" +
				"Showing logs for team-a/app and reconciliation ID r1\n" +
				"Showing logs for team-a/db and reconciliation ID r2\n" +
				"Showing logs for team-b/app and reconciliation ID r3\n" +
				"Showing logs for team-a/app and reconciliation ID r4\n",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, info := printAll(t, controllerLog, tt.filter, tt.withTime)
			if diff := cmp.Diff(tt.wantOut, out); diff != "" {
				t.Errorf("stdout (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.wantInfo, info); diff != "" {
				t.Errorf("stderr (-want +got):\n%s", diff)
			}
		})
	}
}

// TestPrintLogsGroups checks that lines of another reconciliation wait
// for the grouping tick while one reconciliation is being printed.
func TestPrintLogsGroups(t *testing.T) {
	var out, info bytes.Buffer
	p := &logPrinter{out: &out, info: &info}
	lines := make(chan controllerlogs.Line)
	done := make(chan struct{})
	go func() {
		printLogs(context.Background(), lines, p, time.Hour)
		close(done)
	}()
	a := func(msg string) controllerlogs.Line {
		return controllerlogs.Line{Msg: msg, Namespace: "ns", Name: "a", ReconcileID: "1"}
	}
	b := func(msg string) controllerlogs.Line {
		return controllerlogs.Line{Msg: msg, Namespace: "ns", Name: "b", ReconcileID: "2"}
	}
	for _, l := range []controllerlogs.Line{a("a1"), b("b1"), a("a2"), b("b2")} {
		lines <- l
	}
	close(lines)
	<-done
	if diff := cmp.Diff("a1\na2\nb1\nb2\n", out.String()); diff != "" {
		t.Errorf("stdout (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff("Showing logs for ns/a and reconciliation ID 1\nShowing logs for ns/b and reconciliation ID 2\n", info.String()); diff != "" {
		t.Errorf("stderr (-want +got):\n%s", diff)
	}
}

func TestLogsCmdRejectsBadInput(t *testing.T) {
	tests := []struct {
		name    string
		args    []string
		wantErr string
	}{
		{name: "no grouping time", args: []string{"logs", "--log-grouping-time", "0s"}, wantErr: "--log-grouping-time must be positive"},
		{name: "unknown flag", args: []string{"logs", "--bogus"}, wantErr: "unknown flag: --bogus"},
		{name: "an argument", args: []string{"logs", "extra"}, wantErr: `unknown command "extra"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			streams, _, _, _ := iostreams.Test()
			cmd := NewCmd(&factory.Factory{IO: streams, Getenv: func(string) string { return "" }})
			cmd.SetArgs(tt.args)
			cmd.SetOut(io.Discard)
			cmd.SetErr(io.Discard)
			err := cmd.ExecuteContext(context.Background())
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("error %v, want one containing %q", err, tt.wantErr)
			}
		})
	}
}
