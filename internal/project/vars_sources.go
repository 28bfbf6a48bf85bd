package project

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// ClusterReader reads ConfigMap and Secret keys for clusterConfigMap and
// clusterSecret vars sources. It is nil when running offline.
type ClusterReader interface {
	// ReadKey returns the value of key in the ConfigMap or Secret (kind) that
	// matches src, and whether the object and key exist.
	ReadKey(ctx context.Context, kind string, src ClusterObjectVarsSource) (string, bool, error)
}

// varsLoader loads vars sources into a context.
type varsLoader struct {
	root    string
	decrypt DecryptFunc
	// decrypted collects the values of decrypted vars files.
	decrypted *[]string
	tpl       *Templates
	cluster   ClusterReader
	getenv    func(string) string
	debug     func(string)
	// fetchGit fetches the repositories of git and gitFiles sources;
	// openRepo lists the refs of a repository for gitFiles ref patterns.
	fetchGit FetchGitFunc
	openRepo func(ctx context.Context, url string) (TargetRepo, error)
}

// loadList loads each source of list, in order, into vars. Each source sees
// the variables loaded by the sources before it. desc names the file that
// declared the list, for errors.
func (l *varsLoader) loadList(ctx context.Context, vars *Vars, list []VarsSource, searchDirs []string, desc string) error {
	for i := range list {
		if err := l.load(ctx, vars, &list[i], searchDirs); err != nil {
			return fmt.Errorf("%s: vars[%d]: %w", desc, i, err)
		}
	}
	return nil
}

func (l *varsLoader) load(ctx context.Context, vars *Vars, src *VarsSource, searchDirs []string) error {
	ok, err := l.tpl.Condition(ctx, src.When, searchDirs, vars)
	if err != nil || !ok {
		return err
	}
	value, sensitive, found, err := l.fetch(ctx, vars, src, searchDirs)
	if err != nil {
		return err
	}
	l.debug(fmt.Sprintf("vars source %s: found=%v", sourceKind(src), found))
	if !found {
		if src.IgnoreMissing {
			return nil
		}
		return errors.New("vars source not found; set ignoreMissing: true to make it optional")
	}
	if src.Sensitive != nil {
		sensitive = *src.Sensitive
	}
	var m map[string]any
	if src.TargetPath != "" {
		m, err = wrapTargetPath(src.TargetPath, value)
		if err != nil {
			return err
		}
	} else {
		var ok bool
		m, ok = value.(map[string]any)
		if !ok {
			if value == nil {
				return nil
			}
			return fmt.Errorf("vars source yields %s, not a mapping; set targetPath", typeName(value))
		}
	}
	if sensitive {
		vars.MarkSensitive(m)
	}
	vars.Merge(m, src.NoOverride)
	return nil
}

// fetch returns the value of one source, whether it is sensitive by default
// and whether it was found.
func (l *varsLoader) fetch(ctx context.Context, vars *Vars, src *VarsSource, searchDirs []string) (any, bool, bool, error) {
	switch {
	case src.Values != nil:
		return map[string]any(deepCopyMap(src.Values)), false, true, nil
	case src.File != nil:
		return l.fetchFile(ctx, vars, *src.File, searchDirs)
	case src.SystemEnvVars != nil:
		v, err := l.fetchEnv(src.SystemEnvVars)
		return v, false, true, err
	case src.ClusterConfigMap != nil:
		return l.fetchCluster(ctx, "ConfigMap", *src.ClusterConfigMap, false)
	case src.ClusterSecret != nil:
		return l.fetchCluster(ctx, "Secret", *src.ClusterSecret, true)
	case src.Git != nil:
		return l.loadGit(ctx, vars, src)
	case src.GitFiles != nil:
		return l.loadGitFiles(ctx, vars, src.GitFiles, searchDirs)
	case src.ClusterObject != nil:
		return l.loadClusterObject(ctx, vars, src, searchDirs)
	case src.HTTP != nil:
		return l.loadHTTP(ctx, vars, src)
	}
	for name, set := range map[string]bool{
		"awsSecretsManager": src.AwsSecretsManager != nil, "gcpSecretManager": src.GcpSecretManager != nil,
		"azureKeyVault": src.AzureKeyVault != nil, "vault": src.Vault != nil,
	} {
		if set {
			return nil, false, false, fmt.Errorf("vars source type %q is not supported by this version of kluctl", name)
		}
	}
	return nil, false, false, errors.New("vars source has no type (expected one of values, file, git, gitFiles, systemEnvVars, clusterConfigMap, clusterSecret, clusterObject, http)")
}

func (l *varsLoader) fetchFile(ctx context.Context, vars *Vars, file string, searchDirs []string) (any, bool, bool, error) {
	path, err := l.findFile(file, searchDirs)
	if err != nil || path == "" {
		return nil, false, false, err
	}
	out, err := l.tpl.RenderFile(ctx, path, l.tpl.SearchDirsFor(filepath.Dir(path)), vars)
	if err != nil {
		return nil, false, false, err
	}
	data, decrypted := []byte(out), false
	if l.decrypt != nil {
		// A SOPS file is rendered first (its ciphertext holds no
		// template), then decrypted; its values are sensitive.
		if data, decrypted, err = l.decrypt(ctx, path, data); err != nil {
			return nil, false, false, err
		}
	}
	v, err := decodeYAMLValue(data)
	if err != nil {
		return nil, false, false, describeYAMLError(path, data, err)
	}
	if v == nil {
		v = map[string]any{}
	}
	if decrypted && l.decrypted != nil {
		walkScalars(v, func(x any) {
			if x != nil {
				*l.decrypted = append(*l.decrypted, fmt.Sprint(x))
			}
		})
	}
	return v, decrypted, true, nil
}

// findFile looks file up in the search dirs; it must stay inside the
// project, also through symlinks.
func (l *varsLoader) findFile(file string, searchDirs []string) (string, error) {
	if filepath.IsAbs(file) {
		return "", fmt.Errorf("vars file %q must be relative to the project", file)
	}
	for _, dir := range searchDirs {
		p := filepath.Join(dir, file)
		if _, err := os.Stat(p); err != nil {
			continue
		}
		root := l.root
		if r := l.tpl.RemoteRoot(dir); r != "" {
			root = r
		}
		if err := checkInside(root, p); err != nil {
			return "", fmt.Errorf("vars file %q: %w", file, err)
		}
		return p, nil
	}
	return "", nil
}

func (l *varsLoader) fetchEnv(spec map[string]any) (any, error) {
	var walk func(v any, path string) (any, error)
	walk = func(v any, path string) (any, error) {
		switch x := v.(type) {
		case map[string]any:
			out := map[string]any{}
			for k, e := range x {
				r, err := walk(e, path+"."+k)
				if err != nil {
					return nil, err
				}
				out[k] = r
			}
			return out, nil
		case []any:
			out := make([]any, len(x))
			for i, e := range x {
				r, err := walk(e, fmt.Sprintf("%s[%d]", path, i))
				if err != nil {
					return nil, err
				}
				out[i] = r
			}
			return out, nil
		case string:
			name, def, hasDef := strings.Cut(x, ":")
			if val := l.getenv(name); val != "" {
				return parseEnvValue(val), nil
			}
			if hasDef {
				return parseEnvValue(def), nil
			}
			return nil, fmt.Errorf("systemEnvVars%s: environment variable %s is not set", path, name)
		default:
			return nil, fmt.Errorf("systemEnvVars%s: expected the name of an environment variable", path)
		}
	}
	return walk(map[string]any(spec), "")
}

// parseEnvValue interprets an environment value as YAML, as the original
// does, falling back to the plain string.
func parseEnvValue(s string) any {
	v, err := decodeYAMLValue([]byte(s))
	if err != nil {
		return s
	}
	switch v.(type) {
	case map[string]any, []any:
		return s
	}
	return v
}

func (l *varsLoader) fetchCluster(ctx context.Context, kind string, src ClusterObjectVarsSource, sensitive bool) (any, bool, bool, error) {
	if l.cluster == nil {
		return nil, false, false, fmt.Errorf("cluster%s vars source needs a cluster connection, which is not available (offline mode)", kind)
	}
	if src.Name == "" && len(src.Labels) == 0 {
		return nil, false, false, fmt.Errorf("cluster%s: name or labels is required", kind)
	}
	if src.Key == "" {
		return nil, false, false, fmt.Errorf("cluster%s: key is required", kind)
	}
	s, found, err := l.cluster.ReadKey(ctx, kind, src)
	if err != nil || !found {
		return nil, sensitive, found, err
	}
	v, err := decodeYAMLValue([]byte(s))
	if err != nil {
		return nil, sensitive, false, fmt.Errorf("cluster%s %s/%s key %s: %w", kind, src.Namespace, src.Name, src.Key, err)
	}
	return v, sensitive, true, nil
}

// sourceKind names the type of a vars source for debug output.
func sourceKind(src *VarsSource) string {
	switch {
	case src.Values != nil:
		return "values"
	case src.File != nil:
		return "file " + *src.File
	case src.SystemEnvVars != nil:
		return "systemEnvVars"
	case src.ClusterConfigMap != nil:
		return "clusterConfigMap " + src.ClusterConfigMap.Namespace + "/" + src.ClusterConfigMap.Name
	case src.ClusterSecret != nil:
		return "clusterSecret " + src.ClusterSecret.Namespace + "/" + src.ClusterSecret.Name
	case src.Git != nil:
		return "git " + redactURL(src.Git.URL)
	case src.GitFiles != nil:
		return "gitFiles " + redactURL(src.GitFiles.URL)
	case src.ClusterObject != nil:
		return "clusterObject " + src.ClusterObject.Kind
	case src.HTTP != nil:
		return "http " + redactURL(src.HTTP.URL)
	}
	return "unknown"
}
