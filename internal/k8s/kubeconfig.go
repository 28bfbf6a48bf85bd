package k8s

import (
	"fmt"
	"path/filepath"
	"strings"

	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
)

// LoadRESTConfig reads the kubeconfig the way kubectl does (explicitPath
// when set, else the KUBECONFIG list, else ~/.kube/config) and returns the
// config of kubeContext, or of the current context when kubeContext is
// empty. The environment is read only through getenv.
func LoadRESTConfig(getenv func(string) string, explicitPath, kubeContext string) (*rest.Config, error) {
	cfg, _, err := LoadKubeconfig(getenv, explicitPath, kubeContext)
	return cfg, err
}

// LoadKubeconfig is LoadRESTConfig that also returns the name of the
// context used (the current context when kubeContext is empty).
func LoadKubeconfig(getenv func(string) string, explicitPath, kubeContext string) (*rest.Config, string, error) {
	rules := KubeconfigRules(getenv, explicitPath)
	overrides := &clientcmd.ConfigOverrides{CurrentContext: kubeContext}
	cc := clientcmd.NewNonInteractiveDeferredLoadingClientConfig(rules, overrides)
	cfg, err := cc.ClientConfig()
	if err != nil {
		if kubeContext != "" {
			return nil, "", fmt.Errorf("load kubeconfig for context %q: %w", kubeContext, err)
		}
		return nil, "", fmt.Errorf("load kubeconfig: %w", err)
	}
	name := kubeContext
	if name == "" {
		if raw, err := cc.RawConfig(); err == nil {
			name = raw.CurrentContext
		}
	}
	return cfg, name, nil
}

// KubeconfigRules are the rules by which kubeconfig files are found:
// explicitPath when set, else the KUBECONFIG list, else ~/.kube/config.
func KubeconfigRules(getenv func(string) string, explicitPath string) *clientcmd.ClientConfigLoadingRules {
	rules := &clientcmd.ClientConfigLoadingRules{ExplicitPath: explicitPath}
	if kc := getenv("KUBECONFIG"); kc != "" {
		rules.Precedence = filepath.SplitList(kc)
	} else if home := getenv("HOME"); home != "" {
		rules.Precedence = []string{filepath.Join(home, ".kube", "config")}
	}
	return rules
}

// ServerVersion returns the API server's version as "MAJOR.MINOR.PATCH".
func (c *Clients) ServerVersion() (string, error) {
	v, err := c.Discovery.ServerVersion()
	if err != nil {
		return "", fmt.Errorf("get server version: %w", err)
	}
	s := strings.TrimPrefix(v.GitVersion, "v")
	if i := strings.IndexAny(s, "-+"); i >= 0 {
		s = s[:i]
	}
	return s, nil
}

// APIVersions lists the served group versions and group/version/Kind
// triples, as Helm's .Capabilities.APIVersions expects.
func (c *Clients) APIVersions() ([]string, error) {
	_, lists, err := c.Discovery.ServerGroupsAndResources()
	if err != nil && len(lists) == 0 {
		return nil, fmt.Errorf("discover API resources: %w", err)
	}
	var out []string
	for _, l := range lists {
		out = append(out, l.GroupVersion)
		for _, r := range l.APIResources {
			if !strings.Contains(r.Name, "/") {
				out = append(out, l.GroupVersion+"/"+r.Kind)
			}
		}
	}
	return out, nil
}
