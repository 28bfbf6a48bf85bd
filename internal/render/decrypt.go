package render

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"

	yamlv3 "go.yaml.in/yaml/v3"

	"github.com/kluctl-go/kluctl/internal/project"
)

// DecryptFunc is project.DecryptFunc.
type DecryptFunc = project.DecryptFunc

// sopsExts are the files looked at for SOPS encryption.
var sopsExts = map[string]bool{".yaml": true, ".yml": true, ".json": true, ".env": true, ".ini": true}

// decryptFiles decrypts the SOPS files of an item in memory (manifests,
// helm-values.yaml, secretGenerator .env files): files keeps the plain
// content for Helm and Kustomize, sealed the encrypted one for
// --render-output-dir. It returns the decrypted values, to be masked.
func decryptFiles(ctx context.Context, files *renderedFiles, dir string, decrypt DecryptFunc) ([]string, error) {
	if decrypt == nil {
		return nil, nil
	}
	names := make([]string, 0, len(files.files))
	for name := range files.files {
		if sopsExts[strings.ToLower(filepath.Ext(name))] {
			names = append(names, name)
		}
	}
	sort.Strings(names)
	var secrets []string
	for _, name := range names {
		data := files.files[name]
		plain, ok, err := decrypt(ctx, filepath.Join(dir, filepath.FromSlash(name)), data)
		if err != nil {
			return nil, err
		}
		if !ok {
			continue
		}
		if files.sealed == nil {
			files.sealed = map[string][]byte{}
		}
		files.sealed[name] = data
		files.files[name] = plain
		secrets = append(secrets, decryptedValues(name, data, plain)...)
	}
	return secrets, nil
}

// decryptedValues returns the plain values whose encrypted form was an
// ENC[...] string: what must never be shown. For formats other than YAML
// and JSON every value counts.
func decryptedValues(name string, sealed, plain []byte) []string {
	ext := strings.ToLower(filepath.Ext(name))
	if ext == ".env" || ext == ".ini" {
		var out []string
		for _, l := range strings.Split(string(plain), "\n") {
			if _, v, ok := strings.Cut(l, "="); ok && strings.TrimSpace(v) != "" {
				out = append(out, strings.TrimSpace(v))
			}
		}
		return out
	}
	s, err1 := yamlDocs(sealed)
	p, err2 := yamlDocs(plain)
	if err1 != nil || err2 != nil || len(s) != len(p) {
		return nil
	}
	var out []string
	for i := range p {
		walkPair(s[i], p[i], &out)
	}
	return out
}

func yamlDocs(data []byte) ([]any, error) {
	dec := yamlv3.NewDecoder(bytes.NewReader(data))
	var docs []any
	for {
		var d any
		err := dec.Decode(&d)
		if errors.Is(err, io.EOF) {
			return docs, nil
		}
		if err != nil {
			return nil, err
		}
		docs = append(docs, d)
	}
}

func walkPair(sealed, plain any, out *[]string) {
	switch p := plain.(type) {
	case map[string]any:
		s, _ := sealed.(map[string]any)
		for k, v := range p {
			walkPair(s[k], v, out)
		}
	case []any:
		s, _ := sealed.([]any)
		for i, v := range p {
			var sv any
			if i < len(s) {
				sv = s[i]
			}
			walkPair(sv, v, out)
		}
	default:
		if str, ok := sealed.(string); ok && strings.HasPrefix(str, "ENC[") && plain != nil {
			*out = append(*out, fmt.Sprint(plain))
		}
	}
}

// maskTree masks the decrypted values in every file below dir (the
// scratch tree, before it is copied to --render-output-dir): rendered
// manifests and Helm output that took them from SOPS files.
func maskTree(dir string, values []string, newMasker func([]string) func(string) string) error {
	if len(values) == 0 {
		return nil
	}
	if newMasker == nil {
		return errors.New("values were decrypted, but there is no masker for the render output")
	}
	mask := newMasker(values)
	return filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		if masked := mask(string(b)); masked != string(b) {
			return os.WriteFile(p, []byte(masked), 0o644)
		}
		return nil
	})
}
