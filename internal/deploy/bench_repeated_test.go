package deploy_test

import (
	"context"
	"os"
	"sort"
	"testing"
	"time"

	"github.com/kluctl-go/kluctl/internal/deploy"
)

// TestBenchmarkRepeated alternates unchanged redeploys and diffs of ours
// and the floor several times. Run with KLUCTL_BENCH=1.
func TestBenchmarkRepeated(t *testing.T) {
	if os.Getenv("KLUCTL_BENCH") == "" {
		t.Skip("set KLUCTL_BENCH=1 to run the benchmark")
	}
	floorEnv, ourEnv := newEnv(t), newEnv(t)
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Minute)
	defer cancel()
	floorRes := benchObjects(floorEnv, "bench-floor-"+floorEnv.ns, 200, 10)
	ourRes := benchObjects(ourEnv, "bench-"+ourEnv.ns, 200, 10)
	if _, err := deploy.Deploy(ctx, ourEnv.c, ourRes, deploy.DefaultOptions()); err != nil {
		t.Fatal(err)
	}
	if _, err := floorApply(ctx, floorEnv, floorRes, 8, false); err != nil {
		t.Fatal(err)
	}
	time.Sleep(2 * settleTime)
	var oursR, floorR, oursD, floorD []float64
	for i := 0; i < 5; i++ {
		start := time.Now()
		if _, err := deploy.Deploy(ctx, ourEnv.c, ourRes, deploy.DefaultOptions()); err != nil {
			t.Fatal(err)
		}
		ours := time.Since(start)
		floor, err := floorApply(ctx, floorEnv, floorRes, 32, false)
		if err != nil {
			t.Fatal(err)
		}
		start = time.Now()
		if _, err := deploy.Diff(ctx, ourEnv.c, ourRes, deploy.DefaultOptions()); err != nil {
			t.Fatal(err)
		}
		oursDiff := time.Since(start)
		floorDiff, err := floorApply(ctx, floorEnv, floorRes, 32, true)
		if err != nil {
			t.Fatal(err)
		}
		oursR, floorR = append(oursR, ours.Seconds()), append(floorR, floor.Seconds())
		oursD, floorD = append(oursD, oursDiff.Seconds()), append(floorD, floorDiff.Seconds())
		t.Logf("redeploy ours %5.2fs floor %5.2fs ratio %.2f | diff ours %5.2fs floor %5.2fs ratio %.2f",
			ours.Seconds(), floor.Seconds(), ours.Seconds()/floor.Seconds(),
			oursDiff.Seconds(), floorDiff.Seconds(), oursDiff.Seconds()/floorDiff.Seconds())
	}
	t.Logf("median redeploy ours %.2fs floor %.2fs ratio %.2f | diff ours %.2fs floor %.2fs ratio %.2f",
		median(oursR), median(floorR), median(oursR)/median(floorR), median(oursD), median(floorD), median(oursD)/median(floorD))
}

func median(v []float64) float64 {
	s := append([]float64(nil), v...)
	sort.Float64s(s)
	return s[len(s)/2]
}
