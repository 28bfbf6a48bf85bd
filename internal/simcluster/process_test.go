package simcluster

import (
	"os"
	"path/filepath"
	"testing"
	"time"
)

func TestProcessStopKillsGroup(t *testing.T) {
	dir := t.TempDir()
	p, err := startProcess(processSpec{name: "sleep", binary: "/bin/sleep", args: []string{"60"}, dir: dir, logPath: filepath.Join(dir, "sleep.log")})
	if err != nil {
		t.Fatal(err)
	}
	// Right after the start the kernel may not show the new command line
	// yet.
	deadline := time.Now().Add(5 * time.Second)
	for !pidRuns(p.PID, "/bin/sleep") {
		if time.Now().After(deadline) {
			t.Fatalf("pid %d not running /bin/sleep", p.PID)
		}
		time.Sleep(10 * time.Millisecond)
	}
	if pidRuns(p.PID, "/bin/other") {
		t.Errorf("pidRuns matched another binary")
	}
	if err := p.stop(5 * time.Second); err != nil {
		t.Fatal(err)
	}
	if p.alive() || pidRuns(p.PID, "") {
		t.Errorf("pid %d alive after stop", p.PID)
	}
	if pidRuns(os.Getpid()+1<<22, "") {
		t.Errorf("pidRuns of a PID that cannot exist")
	}
}
