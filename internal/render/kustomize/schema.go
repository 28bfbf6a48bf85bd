package kustomize

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"sync"

	"sigs.k8s.io/kustomize/kyaml/openapi"
	kyaml "sigs.k8s.io/kustomize/kyaml/yaml"
	"sigs.k8s.io/yaml"
)

// Kustomize keeps the OpenAPI schema that strategic merge patches use in
// process-wide variables: every build sets them from its kustomization's
// `openapi:` field without fully resetting a custom schema
// (kustomize#4824), a build with a custom schema re-parses it lazily, and
// the lazy parse writes maps that concurrent builds read without a lock.
// Concurrent builds of different projects would therefore see each other's
// schema, or race. schemaGate lets builds that use kustomize's default
// schema run concurrently once that schema is parsed, runs a build with a
// custom schema alone, and resets kustomize's schema when switching back
// from a custom one. It is the one process-wide variable of the render
// pipeline, and exists only because the state it guards is process-wide
// too.
var schemaGate = newGate()

type gate struct {
	mu     sync.Mutex
	cond   *sync.Cond
	active int
	// custom is set while a build with a custom schema runs (alone).
	custom bool
	// dirty is set when kustomize may hold a custom schema.
	dirty bool
	// warm is set when the default schema is parsed and not dirty.
	warm bool
}

func newGate() *gate {
	g := &gate{}
	g.cond = sync.NewCond(&g.mu)
	return g
}

// enter waits until a build with schema key may run and registers it.
func (g *gate) enter(key string) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if key != "" {
		for g.active > 0 {
			g.cond.Wait()
		}
		g.custom, g.dirty, g.warm = true, true, false
		g.active++
		return
	}
	for g.active > 0 && (g.custom || !g.warm) {
		g.cond.Wait()
	}
	if !g.warm {
		if g.dirty {
			openapi.ResetOpenAPI()
			g.dirty = false
		}
		// Parse the default schema now, alone, so that concurrent builds
		// only read it.
		openapi.SchemaForResourceType(kyaml.TypeMeta{APIVersion: "v1", Kind: "ConfigMap"})
		g.warm = true
	}
	g.active++
}

// leave ends a build registered by enter.
func (g *gate) leave() {
	g.mu.Lock()
	g.active--
	if g.active == 0 {
		g.custom = false
	}
	g.mu.Unlock()
	g.cond.Broadcast()
}

// schemaKey identifies the OpenAPI schema the kustomization file kfile asks
// for: "" for kustomize's default, else its version or the path and
// content of its schema file.
func schemaKey(kfile string) (string, error) {
	if kfile == "" {
		return "", nil
	}
	data, err := os.ReadFile(kfile)
	if err != nil {
		return "", err
	}
	var k struct {
		OpenAPI map[string]string `json:"openapi"`
	}
	if err := yaml.Unmarshal(data, &k); err != nil {
		// kustomize reports the error itself, with more detail
		return "", nil
	}
	if len(k.OpenAPI) == 0 {
		return "", nil
	}
	if p, ok := k.OpenAPI["path"]; ok {
		full := p
		if !filepath.IsAbs(full) {
			full = filepath.Join(filepath.Dir(kfile), p)
		}
		schema, err := os.ReadFile(full)
		if err != nil {
			return "path:" + full, nil
		}
		sum := sha256.Sum256(schema)
		return "path:" + full + ":" + hex.EncodeToString(sum[:]), nil
	}
	return fmt.Sprintf("version:%s", k.OpenAPI["version"]), nil
}
