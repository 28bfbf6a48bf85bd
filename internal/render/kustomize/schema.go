package kustomize

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"sync"

	"sigs.k8s.io/kustomize/kyaml/openapi"
	"sigs.k8s.io/yaml"
)

// Kustomize keeps the OpenAPI schema that strategic merge patches use in
// process-wide variables, and every build sets them from its
// kustomization's `openapi:` field without fully resetting a custom schema
// (kustomize#4824). Concurrent builds of different projects would see each
// other's schema. schemaGate therefore lets builds run concurrently only
// while they want the same schema, and resets kustomize's schema when it
// switches away from a custom one. It is the one process-wide variable of
// the render pipeline, and exists only because the state it guards is
// process-wide too.
var schemaGate = newGate()

type gate struct {
	mu     sync.Mutex
	cond   *sync.Cond
	key    string // the schema the running builds use
	active int
	dirty  bool // kustomize holds a schema other than the default
}

func newGate() *gate {
	g := &gate{}
	g.cond = sync.NewCond(&g.mu)
	return g
}

// enter waits until builds with schema key may run and registers one.
func (g *gate) enter(key string) {
	g.mu.Lock()
	defer g.mu.Unlock()
	for g.active > 0 && g.key != key {
		g.cond.Wait()
	}
	if g.active == 0 && g.key != key {
		if g.dirty {
			openapi.ResetOpenAPI()
			g.dirty = false
		}
		g.key = key
	}
	if key != "" {
		g.dirty = true
	}
	g.active++
}

// leave ends a build registered by enter.
func (g *gate) leave() {
	g.mu.Lock()
	g.active--
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
