package results

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"path"
	"regexp"
	"strings"

	"github.com/kluctl-go/kluctl/internal/result"
)

// The original's labels, annotations and data keys.
const (
	LabelResult                    = "kluctl.io/result"
	LabelCommandResultID           = "kluctl.io/command-result-id"
	LabelValidateResultID          = "kluctl.io/validate-result-id"
	LabelDeploymentName            = "kluctl.io/result-deployment-name"
	LabelDeploymentNamespace       = "kluctl.io/result-deployment-namespace"
	AnnotationCommandResultSummary = "kluctl.io/command-result-summary"
	AnnotationValidateSummary      = "kluctl.io/validate-result-summary"
	AnnotationProjectRepoKey       = "kluctl.io/result-project-repo-key"
	AnnotationProjectSubDir        = "kluctl.io/result-project-subdir"
	// AnnotationReduced marks a result whose objects were reduced to fit
	// into a Secret (ours; the original's tools ignore it).
	AnnotationReduced = "kluctl.io/result-reduced"
	// LabelResultKey is a hash of the project and target keys (ours), so
	// that the cleanup after a write lists only the results of the same
	// project and target, not every result in the namespace.
	LabelResultKey = "kluctl.io/result-key"

	KeyReducedResult    = "reducedResult"
	KeyCompactedObjects = "compactedObjects"
	KeyValidateResult   = "result"

	// FieldManager owns the result Secrets.
	FieldManager = "kluctl-results"
	// DefaultNamespace holds the results unless configured otherwise.
	DefaultNamespace = "kluctl-results"
)

var nameCleaner = regexp.MustCompile(`[^a-zA-Z0-9-]`)

// secretName is "<prefix>-<repo name>-<id>" (the repo name left out when
// unknown), cut to a valid object name like the original does.
func secretName(prefix, id string, key result.ProjectKey) string {
	name := ""
	if _, p, ok := strings.Cut(strings.TrimPrefix(key.RepoKey, "git://"), "/"); ok && p != "" {
		name = nameCleaner.ReplaceAllString(strings.ReplaceAll(path.Base(p), "_", "-"), "")
	}
	if limit := 63 - (len(id) + 1) - (len(prefix) + 1); len(name) > limit {
		name = name[:max(limit, 0)]
	}
	name = strings.Trim(name, "-")
	if name == "" {
		return prefix + "-" + id
	}
	return prefix + "-" + strings.ToLower(name) + "-" + id
}

// gzipJSON encodes v as JSON and compresses it.
func gzipJSON(v any) ([]byte, error) {
	var buf bytes.Buffer
	zw, err := gzip.NewWriterLevel(&buf, gzip.BestCompression)
	if err != nil {
		return nil, err
	}
	if err := json.NewEncoder(zw).Encode(v); err != nil {
		return nil, err
	}
	if err := zw.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// maxUncompressed bounds what one gunzipped result value may grow to.
const maxUncompressed = 512 << 20

// gunzipJSON decompresses and decodes a value written by gzipJSON.
func gunzipJSON(b []byte, v any) error {
	zr, err := gzip.NewReader(bytes.NewReader(b))
	if err != nil {
		return fmt.Errorf("not gzip data: %w", err)
	}
	defer zr.Close()
	data, err := io.ReadAll(io.LimitReader(zr, maxUncompressed+1))
	if err != nil {
		return err
	}
	if len(data) > maxUncompressed {
		return fmt.Errorf("value larger than %d bytes uncompressed", maxUncompressed)
	}
	return json.Unmarshal(data, v)
}

// resultKey is the value of LabelResultKey for a project and target.
func resultKey(project result.ProjectKey, target result.TargetKey) string {
	b, _ := json.Marshal([]any{project, target})
	h := sha256.Sum256(b)
	return hex.EncodeToString(h[:20])
}
