package render

import (
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/kluctl-go/kluctl/e2e/kluctltest"
)

// BenchmarkRenderBenchProject renders the 200x10 project of ../shared/bench
// (2001 objects) offline through the CLI, output included. The reference
// implementation takes 5.7 s for this on a 2-core machine.
func BenchmarkRenderBenchProject(b *testing.B) {
	shared := kluctltest.SharedDir(b)
	dir := filepath.Join(b.TempDir(), "project")
	if out, err := exec.Command("python3", filepath.Join(shared, "bench", "genproject.py"), dir, "200", "10").CombinedOutput(); err != nil {
		b.Fatalf("generate project: %v: %s", err, out)
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		res := kluctltest.Run(b, nil, "render", "--project-dir", dir, "-t", "dev", "--offline-kubernetes", "--print-all")
		if res.Code != 0 {
			b.Fatalf("render failed: %s", res.Stderr)
		}
	}
}
