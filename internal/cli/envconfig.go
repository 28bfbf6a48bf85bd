package cli

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
	"sigs.k8s.io/yaml"
)

// configFileNames are tried in each config folder, in order.
var configFileNames = []string{"config.yaml", "config.yml", "config.json", "config"}

// loadConfigFile reads the first config file found in dirs (the original
// searches /etc/kluctl, then ~/.kluctl, and reads only the first file it
// finds). The file holds flag names as top-level keys. A missing file is
// no error.
func loadConfigFile(dirs []string) (map[string]any, string, error) {
	for _, d := range dirs {
		if d == "" {
			continue
		}
		for _, name := range configFileNames {
			p := filepath.Join(d, name)
			data, err := os.ReadFile(p)
			if errors.Is(err, os.ErrNotExist) {
				continue
			}
			if err != nil {
				return nil, p, fmt.Errorf("read config file %s: %w", p, err)
			}
			var m map[string]any
			if err := yaml.Unmarshal(data, &m); err != nil {
				return nil, p, fmt.Errorf("config file %s: %w", p, err)
			}
			lower := make(map[string]any, len(m))
			for k, v := range m {
				lower[strings.ToLower(k)] = v
			}
			return lower, p, nil
		}
	}
	return nil, "", nil
}

// configValues turns a config file value into flag values.
func configValues(name string, v any) ([]string, error) {
	switch x := v.(type) {
	case nil:
		return nil, nil
	case string:
		return []string{x}, nil
	case bool:
		return []string{strconv.FormatBool(x)}, nil
	case float64:
		if x == float64(int64(x)) {
			return []string{strconv.FormatInt(int64(x), 10)}, nil
		}
	case []any:
		var out []string
		for _, e := range x {
			s, ok := e.(string)
			if !ok {
				return nil, fmt.Errorf("config key %s: list entries must be strings", name)
			}
			out = append(out, s)
		}
		return out, nil
	}
	return nil, fmt.Errorf("config key %s has unexpected type %T", name, v)
}

// envValues returns the values of KLUCTL_<NAME> and KLUCTL_<NAME>_<n>,
// the bare variable first, then by index.
func envValues(environ []string, flagName string) []string {
	base := "KLUCTL_" + strings.ToUpper(strings.ReplaceAll(flagName, "-", "_"))
	type entry struct {
		idx int
		val string
	}
	var found []entry
	for _, kv := range environ {
		k, v, ok := strings.Cut(kv, "=")
		if !ok {
			continue
		}
		rest, ok := strings.CutPrefix(k, base)
		if !ok {
			continue
		}
		idx := -1
		if rest != "" {
			digits, ok := strings.CutPrefix(rest, "_")
			n, err := strconv.Atoi(digits)
			if !ok || err != nil || n < 0 || strings.ContainsAny(digits, "+-") {
				continue
			}
			idx = n
		}
		found = append(found, entry{idx, v})
	}
	sort.SliceStable(found, func(i, j int) bool { return found[i].idx < found[j].idx })
	out := make([]string, len(found))
	for i, e := range found {
		out[i] = e.val
	}
	return out
}

// applyEnvAndConfig sets every flag of cmd (and its parents) that was not
// given on the command line from KLUCTL_* variables and the config file, as
// the original: for single-value flags the command line beats the
// environment, which beats the config file; repeatable flags collect the
// config values, then the environment's, then the command line's.
// Credential flags (--git-*, --helm-*, --registry-*) are never read from
// the environment or the config file.
func applyEnvAndConfig(cmd *cobra.Command, environ []string, cfg map[string]any) error {
	var errs []error
	seen := map[string]bool{}
	visit := func(fl *pflag.Flag) {
		if seen[fl.Name] || skipEnv(fl.Name) {
			return
		}
		seen[fl.Name] = true
		var values []string
		if v, ok := cfg[fl.Name]; ok {
			vs, err := configValues(fl.Name, v)
			if err != nil {
				errs = append(errs, err)
				return
			}
			values = vs
		}
		values = append(values, envValues(environ, fl.Name)...)
		if len(values) == 0 {
			return
		}
		if sv, ok := fl.Value.(pflag.SliceValue); ok {
			var cli []string
			if fl.Changed {
				cli = sv.GetSlice()
			}
			if err := sv.Replace(append(values, cli...)); err != nil {
				errs = append(errs, fmt.Errorf("--%s from environment or config: %w", fl.Name, err))
			}
			fl.Changed = true
			return
		}
		if fl.Changed {
			return
		}
		for _, v := range values {
			if err := fl.Value.Set(v); err != nil {
				errs = append(errs, fmt.Errorf("invalid value for --%s from KLUCTL_%s or the config file: %w", fl.Name, strings.ToUpper(strings.ReplaceAll(fl.Name, "-", "_")), err))
				return
			}
		}
		fl.Changed = true
	}
	for c := cmd; c != nil; c = c.Parent() {
		c.LocalFlags().VisitAll(visit)
		c.PersistentFlags().VisitAll(visit)
	}
	return errors.Join(errs...)
}

// skipEnv tells whether a flag is never read from KLUCTL_* variables: the
// credential flags (as the original; credentials have their own
// KLUCTL_GIT_<idx>_* style variables).
func skipEnv(name string) bool {
	if name == "git-cache-update-interval" {
		return false
	}
	for _, p := range []string{"git-", "helm-", "registry-"} {
		if strings.HasPrefix(name, p) {
			return true
		}
	}
	return false
}
