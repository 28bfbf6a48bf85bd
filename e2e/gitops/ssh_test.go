package gitops

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/pem"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/knownhosts"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/kluctl-go/kluctl/api/v1beta1"
	"github.com/kluctl-go/kluctl/internal/gitserver"
)

// TestGitOpsSSH: a KluctlDeployment fetching its project over ssh, with the
// deploy key and the server's known_hosts in a credentials secret, deploys;
// one whose known_hosts holds another host key is refused and says so.
func TestGitOpsSSH(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	identity, deployKey := newSSHKey(t)
	ss, err := e.git.StartSSH(gitserver.SSHOptions{AuthorizedKeys: []ssh.PublicKey{deployKey}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = ss.Close() })
	commit := e.smallProject(e.ns, "over-ssh")

	_, impostorKey := newSSHKey(t)
	secrets := map[string]string{
		"ssh-credentials": ss.KnownHosts(),
		"ssh-impostor":    knownhosts.Line([]string{knownhosts.Normalize(ss.Addr())}, impostorKey) + "\n",
	}
	for name, knownHosts := range secrets {
		if _, err := e.cs.CoreV1().Secrets(e.ns).Create(ctx, &corev1.Secret{
			ObjectMeta: metav1.ObjectMeta{Name: name},
			Data:       map[string][]byte{"identity": identity, "known_hosts": []byte(knownHosts)},
		}, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	for _, name := range []string{"ssh-credentials", "ssh-impostor"} {
		e.smallKD(name, func(kd *v1beta1.KluctlDeployment) {
			kd.Spec.Source.Git.URL = ss.URL("small")
			kd.Spec.Credentials.Git = []v1beta1.ProjectCredentialsGit{{Host: "127.0.0.1", SecretRef: v1beta1.LocalObjectReference{Name: name}}}
		})
	}

	e.waitFor("ssh-credentials", "a deploy over ssh", 2*time.Minute, func(kd *v1beta1.KluctlDeployment) bool {
		return isReady(kd) && deployedCommit(kd) == commit
	})
	cm, err := e.cs.CoreV1().ConfigMaps(e.ns).Get(ctx, "small", metav1.GetOptions{})
	if err != nil || cm.Data["value"] != "over-ssh" {
		t.Fatalf("the ConfigMap from the ssh source: %v %v", cm, err)
	}

	kd := e.waitFor("ssh-impostor", "the unknown host key refused", time.Minute, notReadyWith("does not match known_hosts"))
	if kd.Status.ObservedCommit != "" {
		t.Errorf("a source from an unverified host was used: commit %s", kd.Status.ObservedCommit)
	}
	for _, line := range strings.Split(string(identity), "\n") {
		if line != "" && !strings.HasPrefix(line, "-----") && strings.Contains(readyMessage(kd), line) {
			t.Fatalf("the condition shows the private key: %s", readyMessage(kd))
		}
	}
}

// newSSHKey returns a fresh ed25519 deploy key: the private key in PEM, as
// the identity of a credentials secret, and the public key.
func newSSHKey(t *testing.T) ([]byte, ssh.PublicKey) {
	t.Helper()
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	block, err := ssh.MarshalPrivateKey(priv, "deploy key")
	if err != nil {
		t.Fatal(err)
	}
	sshPub, err := ssh.NewPublicKey(pub)
	if err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(block), sshPub
}
