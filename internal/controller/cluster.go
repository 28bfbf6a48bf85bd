package controller

import (
	"context"
	"fmt"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"

	"github.com/kluctl-go/kluctl/internal/diff"
	"github.com/kluctl-go/kluctl/internal/engine"
)

// ownContext is the name of the controller's own cluster as targets see
// it (spec.context: default), as with the original controller.
const ownContext = "default"

// addSecret masks s from now on.
func (rc *run) addSecret(s string) { rc.addSecrets(s) }

// addSecrets masks the non-empty values from now on. It is safe for
// concurrent use (charts pulled in parallel add their credentials).
func (rc *run) addSecrets(values ...string) {
	rc.secretsMu.Lock()
	defer rc.secretsMu.Unlock()
	n := len(rc.secrets)
	for _, v := range values {
		if v != "" {
			rc.secrets = append(rc.secrets, v)
		}
	}
	if len(rc.secrets) != n {
		rc.masker = diff.NewMasker(rc.secrets)
	}
}

// clusterProvider connects the engine to the KluctlDeployment's cluster:
// the kubeConfig Secret's, or the controller's own (context "default");
// with a service account (spec.serviceAccountName or the controller's
// default) impersonated.
func (rc *run) clusterProvider() engine.ClusterProvider {
	return engine.ClusterFunc(func(ctx context.Context, kubeContext string) (*engine.Cluster, error) {
		cfg, name, err := rc.restConfig(ctx, kubeContext)
		if err != nil {
			return nil, err
		}
		sa := rc.serviceAccount()
		if sa != "" {
			cfg.Impersonate = rest.ImpersonationConfig{UserName: fmt.Sprintf("system:serviceaccount:%s:%s", rc.kd.Namespace, sa)}
		}
		clients, err := rc.r.pool.Clients(cfg)
		if err != nil {
			return nil, err
		}
		cl := &engine.Cluster{Clients: clients, Name: name, Context: name}
		if rc.kd.Spec.KubeConfig == nil && sa == "" {
			// The controller's own identity sees what its watches see;
			// other identities search with their own permissions.
			cl.Index = rc.r.index
		}
		return cl, nil
	})
}

func (rc *run) serviceAccount() string {
	if rc.kd.Spec.ServiceAccountName != "" {
		return rc.kd.Spec.ServiceAccountName
	}
	return rc.r.opts.DefaultServiceAccount
}

func (rc *run) restConfig(ctx context.Context, kubeContext string) (*rest.Config, string, error) {
	if old, ok := rc.renames[kubeContext]; ok {
		kubeContext = old
	}
	kc := rc.kd.Spec.KubeConfig
	if kc == nil {
		if kubeContext != "" && kubeContext != ownContext {
			return nil, "", fmt.Errorf("context %q does not exist: the controller deploys to its own cluster as context %q (set spec.context: %s, or spec.kubeConfig)", kubeContext, ownContext, ownContext)
		}
		return rest.CopyConfig(rc.r.config), ownContext, nil
	}
	var sec corev1.Secret
	if err := rc.r.apiReader.Get(ctx, types.NamespacedName{Namespace: rc.kd.Namespace, Name: kc.SecretRef.Name}, &sec); err != nil {
		return nil, "", fmt.Errorf("unable to read KubeConfig secret '%s' error: %w", kc.SecretRef.Name, err)
	}
	var data []byte
	if kc.SecretRef.Key != "" {
		var ok bool
		if data, ok = sec.Data[kc.SecretRef.Key]; !ok {
			return nil, "", fmt.Errorf("KubeConfig secret '%s' does not contain a '%s' key with a kubeconfig", kc.SecretRef.Name, kc.SecretRef.Key)
		}
	} else if data = sec.Data["value"]; data == nil {
		if data = sec.Data["value.yaml"]; data == nil {
			return nil, "", fmt.Errorf("KubeConfig secret '%s' does not contain a 'value' key with a kubeconfig", kc.SecretRef.Name)
		}
	}
	cfg, err := clientcmd.Load(data)
	if err != nil {
		return nil, "", fmt.Errorf("KubeConfig secret '%s': %w", kc.SecretRef.Name, err)
	}
	if !rc.r.opts.AllowUnsafeKubeconfigs {
		if err := checkKubeconfig(cfg); err != nil {
			return nil, "", fmt.Errorf("KubeConfig secret '%s' refused: %w (start the controller with --allow-unsafe-kubeconfigs to accept it)", kc.SecretRef.Name, err)
		}
	}
	for _, ai := range cfg.AuthInfos {
		rc.addSecret(ai.Token)
		rc.addSecret(ai.Password)
	}
	name := kubeContext
	if name == "" {
		name = cfg.CurrentContext
	}
	if _, ok := cfg.Contexts[name]; !ok {
		return nil, "", fmt.Errorf("context %q not found in KubeConfig secret '%s'", name, kc.SecretRef.Name)
	}
	rcfg, err := clientcmd.NewNonInteractiveClientConfig(*cfg, name, &clientcmd.ConfigOverrides{}, nil).ClientConfig()
	if err != nil {
		return nil, "", fmt.Errorf("KubeConfig secret '%s': %w", kc.SecretRef.Name, err)
	}
	return rcfg, name, nil
}

// checkKubeconfig refuses users that run programs or skip TLS checks.
func checkKubeconfig(cfg *clientcmdapi.Config) error {
	for name, ai := range cfg.AuthInfos {
		if ai.Exec != nil {
			return fmt.Errorf("user %q runs an exec plugin", name)
		}
		if ai.AuthProvider != nil {
			return fmt.Errorf("user %q uses an auth-provider plugin", name)
		}
		if ai.ClientCertificate != "" || ai.ClientKey != "" || ai.TokenFile != "" {
			return fmt.Errorf("user %q refers to files on the controller", name)
		}
	}
	for name, c := range cfg.Clusters {
		if c.InsecureSkipTLSVerify {
			return fmt.Errorf("cluster %q sets insecure-skip-tls-verify", name)
		}
		if c.CertificateAuthority != "" {
			return fmt.Errorf("cluster %q refers to a file on the controller", name)
		}
	}
	return nil
}
