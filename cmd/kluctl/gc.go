package main

import (
	"runtime/debug"
	"runtime/metrics"
	"time"
)

// Garbage collector tuning for a short-lived CLI that allocates many
// short-lived values: collect rarely (GOGC 400), but keep the heap under a
// soft limit that follows the live heap, so that peak memory stays low for
// common projects (a render or deploy of 2000 objects peaks near 100 MiB)
// and large projects are not slowed down by a fixed limit.
const (
	gcPercent   = 400
	minLimit    = 80 << 20 // bytes
	limitFactor = 2.0      // limit = max(minLimit, limitFactor * live heap)
)

// tuneGC applies the tuning when enabled (the user set neither GOGC nor
// GOMEMLIMIT) and returns a function that stops it.
func tuneGC(enabled bool) func() {
	if !enabled {
		return func() {}
	}
	debug.SetGCPercent(gcPercent)
	debug.SetMemoryLimit(minLimit)
	done := make(chan struct{})
	go func() {
		sample := []metrics.Sample{{Name: "/gc/heap/live:bytes"}}
		tick := time.NewTicker(100 * time.Millisecond)
		defer tick.Stop()
		var last int64 = minLimit
		for {
			select {
			case <-done:
				return
			case <-tick.C:
			}
			metrics.Read(sample)
			if sample[0].Value.Kind() != metrics.KindUint64 {
				continue
			}
			limit := int64(float64(sample[0].Value.Uint64()) * limitFactor)
			if limit < minLimit {
				limit = minLimit
			}
			if limit != last {
				debug.SetMemoryLimit(limit)
				last = limit
			}
		}
	}()
	return func() { close(done) }
}
