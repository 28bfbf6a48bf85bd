package gitops

import (
	"context"
	"fmt"
	"testing"
	"time"

	"golang.org/x/crypto/ssh"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/kluctl-go/kluctl/api/v1beta1"
	"github.com/kluctl-go/kluctl/internal/gitserver"
)

// TestGitOpsSSHInclude: a project fetched over ssh includes another
// private repository over ssh; spec.credentials.git (key and known_hosts)
// serves both.
func TestGitOpsSSHInclude(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	identity, deployKey := newSSHKey(t)
	ss, err := e.git.StartSSH(gitserver.SSHOptions{AuthorizedKeys: []ssh.PublicKey{deployKey}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = ss.Close() })
	if _, err := e.git.Commit("ssh-base", "main", map[string][]byte{
		"deployment.yaml": []byte("deployments:\n  - path: cm\n"),
		"cm/cm.yaml":      fmt.Appendf(nil, "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: included-over-ssh\n  namespace: %s\ndata:\n  value: base\n", e.ns),
	}, "base"); err != nil {
		t.Fatal(err)
	}
	if _, err := e.git.Commit("ssh-includer", "main", map[string][]byte{
		".kluctl.yaml":    []byte("targets:\n  - name: t\n    context: default\n"),
		"deployment.yaml": fmt.Appendf(nil, "deployments:\n  - git:\n      url: %s\n", ss.URL("ssh-base")),
	}, "includer"); err != nil {
		t.Fatal(err)
	}
	if _, err := e.cs.CoreV1().Secrets(e.ns).Create(ctx, &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Name: "ssh-include-credentials"},
		Data:       map[string][]byte{"identity": identity, "known_hosts": []byte(ss.KnownHosts())},
	}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	e.kd("ssh-include", "t", func(kd *v1beta1.KluctlDeployment) {
		kd.Spec.Source.Git = &v1beta1.ProjectSourceGit{URL: ss.URL("ssh-includer"), Ref: &v1beta1.GitRef{Branch: "main"}}
		kd.Spec.Credentials.Git = []v1beta1.ProjectCredentialsGit{{Host: "127.0.0.1", SecretRef: v1beta1.LocalObjectReference{Name: "ssh-include-credentials"}}}
	})
	e.waitFor("ssh-include", "deployed with the ssh include", 2*time.Minute, isReady)
	cm, err := e.cs.CoreV1().ConfigMaps(e.ns).Get(ctx, "included-over-ssh", metav1.GetOptions{})
	if err != nil || cm.Data["value"] != "base" {
		t.Fatalf("the included ConfigMap: %v %v", cm, err)
	}
}
