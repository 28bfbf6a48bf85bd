package controller

import (
	"fmt"
	"strings"
	"sync"
	"testing"
)

// TestAddSecretAndMaskConcurrently: charts render in parallel, and git
// charts add their credentials while others mask messages (run it with
// -race).
func TestAddSecretAndMaskConcurrently(t *testing.T) {
	rc := &run{}
	var wg sync.WaitGroup
	for i := range 64 {
		wg.Go(func() {
			s := fmt.Sprintf("secret-value-%04d", i)
			rc.addSecret(s)
			if got := rc.mask("token " + s + " used"); strings.Contains(got, s) {
				t.Errorf("%s is not masked: %q", s, got)
			}
		})
	}
	wg.Wait()
	if got := rc.mask("secret-value-0000 secret-value-0063"); strings.Contains(got, "secret-value") {
		t.Errorf("not every secret is masked: %q", got)
	}
}
