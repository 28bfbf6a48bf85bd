package controller

import (
	"fmt"
	"time"

	"github.com/kluctl-go/kluctl/api/v1beta1"
	"github.com/kluctl-go/kluctl/internal/engine"
	"github.com/kluctl-go/kluctl/internal/result"
)

// pokeMode reports whether spec.deployMode asks to poke images instead of
// deploying.
func (rc *run) pokeMode() bool {
	return rc.kd.Spec.DeployMode == v1beta1.KluctlDeployPokeImages
}

// pokeImages runs the engine's poke-images in place of a deploy, as the
// original's poke-images mode: only the images of the deployed objects
// change, nothing is pruned. It is recorded as the last deploy result;
// force stores the result even when nothing changed (requests).
func (rc *run) pokeImages(dryRun, force bool) (*result.CommandResult, error) {
	rc.progress("Performing kluctl " + v1beta1.KluctlDeployPokeImages)
	start := time.Now()
	res, err := rc.target.PokeImages(rc.ctx, engine.PokeImagesOptions{DryRun: dryRun})
	rc.r.metrics.deployDuration.WithLabelValues(rc.kd.Namespace, rc.kd.Name, v1beta1.KluctlDeployPokeImages).Observe(since(start))
	if res == nil || res.Document == nil {
		return nil, fmt.Errorf("poke-images: %w", err)
	}
	sum := rc.storeCommandResult(res, v1beta1.KluctlDeployPokeImages, force)
	rc.kd.Status.LastDeployResult = encodeRaw(sum)
	return res.Document, errorOf(sum, v1beta1.KluctlDeployPokeImages)
}
