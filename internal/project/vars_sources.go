package project

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"time"
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
	case src.Vault != nil:
		return l.loadVault(ctx, vars, src, searchDirs)
	case src.AwsSecretsManager != nil:
		return l.loadAwsSecretsManager(ctx, vars, src, searchDirs)
	case src.GcpSecretManager != nil:
		return l.loadGcpSecretManager(ctx, vars, src, searchDirs)
	case src.AzureKeyVault != nil:
		return l.loadAzureKeyVault(ctx, vars, src, searchDirs)
	}
	return nil, false, false, errors.New("vars source has no type (expected one of values, file, git, gitFiles, systemEnvVars, clusterConfigMap, clusterSecret, clusterObject, http, vault, awsSecretsManager, gcpSecretManager, azureKeyVault)")
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
	case src.Vault != nil:
		return "vault " + redactURL(src.Vault.Address) + " " + src.Vault.Path
	case src.AwsSecretsManager != nil:
		return "awsSecretsManager " + src.AwsSecretsManager.SecretName
	case src.GcpSecretManager != nil:
		return "gcpSecretManager " + src.GcpSecretManager.SecretName
	case src.AzureKeyVault != nil:
		return "azureKeyVault " + redactURL(src.AzureKeyVault.VaultURI) + " " + src.AzureKeyVault.SecretName
	}
	return "unknown"
}

// secretStoreTimeout bounds one request to a secret store or token service.
const secretStoreTimeout = 60 * time.Second

// doSecretStoreRequest sends a request with credentials and returns the
// status and the (bounded) body. Redirects are only followed within the
// origin, so credentials never reach another host.
func doSecretStoreRequest(req *http.Request) (int, []byte, error) {
	client := &http.Client{Timeout: secretStoreTimeout, CheckRedirect: func(next *http.Request, via []*http.Request) error {
		if len(via) >= 5 {
			return errors.New("too many redirects")
		}
		if next.URL.Scheme != via[0].URL.Scheme || next.URL.Host != via[0].URL.Host {
			return fmt.Errorf("refusing to follow a redirect to another origin (%s)", next.URL.Host)
		}
		return nil
	}}
	resp, err := client.Do(req)
	if uerr := (*url.Error)(nil); errors.As(err, &uerr) {
		return 0, nil, uerr.Err // without the URL
	} else if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, httpVarsMaxBytes+1))
	if err != nil {
		return 0, nil, fmt.Errorf("read response: %w", err)
	}
	if len(data) > httpVarsMaxBytes {
		return 0, nil, fmt.Errorf("response is larger than %d bytes", httpVarsMaxBytes)
	}
	return resp.StatusCode, data, nil
}

// checkCredentialURL refuses to send credentials in clear text: https, or
// plain http to a loopback address only (a local agent or test server).
func checkCredentialURL(u *url.URL) error {
	switch u.Scheme {
	case "https":
		return nil
	case "http":
		h := u.Hostname()
		if ip := net.ParseIP(h); h == "localhost" || (ip != nil && ip.IsLoopback()) {
			return nil
		}
		return fmt.Errorf("refusing to send credentials over plain http to %s: use https (plain http is only allowed to loopback addresses)", u.Host)
	}
	return fmt.Errorf("%q is not an http(s) URL", redactURL(u.String()))
}

// secretVars turns the content of a secret into vars as the original does:
// the content is rendered as a template with the vars loaded so far, then
// parsed as YAML (or JSON), which must be a mapping. Error messages never
// quote the content.
func (l *varsLoader) secretVars(ctx context.Context, vars *Vars, desc, content string, searchDirs []string) (map[string]any, error) {
	out, err := l.tpl.RenderString(ctx, desc, content, searchDirs, vars)
	if err != nil {
		return nil, fmt.Errorf("the secret's content does not render as a template (%s; the message is not shown, it quotes the secret)", errorPosition(err))
	}
	v, err := decodeYAMLValue([]byte(out))
	if err != nil {
		return nil, fmt.Errorf("the secret's content is not YAML or JSON (%s)", errorPosition(err))
	}
	switch m := v.(type) {
	case nil:
		return map[string]any{}, nil
	case map[string]any:
		return m, nil
	}
	return nil, fmt.Errorf("the secret's content is %s, not a YAML mapping", valueKind(v))
}

// errorPosition is the line a template or YAML error names, and the
// template error's kind: what can be said without quoting the source.
func errorPosition(err error) string {
	msg := strings.TrimSpace(err.Error())
	pos := regexp.MustCompile(`line (\d+|\?)`).FindString(msg + " line ?")
	lines := strings.Split(msg, "\n")
	if kind, _, ok := strings.Cut(strings.TrimSpace(lines[len(lines)-1]), ":"); ok && strings.HasSuffix(kind, "Error") && !strings.Contains(kind, " ") {
		return kind + " at " + pos
	}
	return pos
}

// missingSecret is the result for a secret that does not exist: with
// ignoreMissing an empty mapping (as in the original, targetPath then gets
// an empty mapping), else an error naming the source.
func (l *varsLoader) missingSecret(src *VarsSource, desc, hint string) (any, bool, bool, error) {
	if src.IgnoreMissing {
		l.debug(desc + ": secret not found, ignored (ignoreMissing)")
		return map[string]any{}, true, true, nil
	}
	return nil, true, false, fmt.Errorf("%s: secret not found%s; set ignoreMissing: true to make it optional", desc, hint)
}

// scrubSecrets replaces the credentials in a message from a server.
func scrubSecrets(msg string, secrets ...string) string {
	for _, s := range secrets {
		if len(s) >= 3 {
			msg = strings.ReplaceAll(msg, s, "xxxxx")
		}
	}
	return msg
}
