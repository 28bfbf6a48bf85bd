package gitops

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/ProtonMail/go-crypto/openpgp"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/kluctl-go/kluctl/api/v1beta1"
	"github.com/kluctl-go/kluctl/internal/sops/sopstest"
)

// TestSopsDecryption: the controller decrypts a project's SOPS files
// (one for an age key, one for a PGP key) with spec.decryption's Secret in
// Flux's format; without it the deployment fails naming the file.
func TestSopsDecryption(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	id, rcpt, err := sopstest.NewAge()
	if err != nil {
		t.Fatal(err)
	}
	entity, armored, err := sopstest.NewPGP("controller")
	if err != nil {
		t.Fatal(err)
	}
	const ageSecret, pgpSecret = "controller-age-secret", "controller-pgp-secret"
	vars, err := sopstest.Encrypt("secrets.yaml", []byte("fromAge: "+ageSecret+"\n"), sopstest.Options{Age: []string{rcpt}})
	if err != nil {
		t.Fatal(err)
	}
	secret, err := sopstest.Encrypt("secret.yaml", []byte("apiVersion: v1\nkind: Secret\nmetadata:\n  name: pgp-secret\n  namespace: "+e.ns+"\nstringData:\n  password: "+pgpSecret+"\n"),
		sopstest.Options{PGP: []*openpgp.Entity{entity}, EncryptedRegex: "^(data|stringData)$"})
	if err != nil {
		t.Fatal(err)
	}
	files := map[string][]byte{
		".kluctl.yaml":    []byte("targets:\n  - name: test\n"),
		"deployment.yaml": []byte("vars:\n  - file: secrets.yaml\ndeployments:\n  - path: app\n"),
		"secrets.yaml":    vars,
		"app/secret.yaml": secret,
		"app/cm.yaml":     []byte("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: age-cm\n  namespace: " + e.ns + "\ndata:\n  value: \"{{ fromAge }}\"\n"),
	}
	if _, err := e.git.Commit("sops", "main", files, "sops"); err != nil {
		t.Fatal(err)
	}
	if _, err := e.cs.CoreV1().Secrets(e.ns).Create(ctx, &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Name: "sops-keys"},
		Data:       map[string][]byte{"identity.agekey": []byte(id + "\n"), "key.asc": armored},
	}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	source := func(kd *v1beta1.KluctlDeployment) {
		kd.Spec.Source.Git = &v1beta1.ProjectSourceGit{URL: e.git.URL("sops"), Ref: &v1beta1.GitRef{Branch: "main"}}
	}
	e.kd("no-keys", "test", source)
	e.waitFor("no-keys", "failing without keys", 2*time.Minute, func(kd *v1beta1.KluctlDeployment) bool {
		c := findCondition(kd, "Ready")
		return c != nil && c.Status == metav1.ConditionFalse && strings.Contains(c.Message, "secrets.yaml is encrypted with SOPS")
	})
	if _, err := e.cs.CoreV1().ConfigMaps(e.ns).Get(ctx, "age-cm", metav1.GetOptions{}); err == nil {
		t.Errorf("no-keys applied objects")
	}

	e.kd("with-keys", "test", func(kd *v1beta1.KluctlDeployment) {
		source(kd)
		kd.Spec.Decryption = &v1beta1.Decryption{Provider: "sops", SecretRef: &v1beta1.LocalObjectReference{Name: "sops-keys"}}
	})
	kd := e.waitFor("with-keys", "deployed with decryption", 2*time.Minute, isReady)
	cm, err := e.cs.CoreV1().ConfigMaps(e.ns).Get(ctx, "age-cm", metav1.GetOptions{})
	if err != nil || cm.Data["value"] != ageSecret {
		t.Errorf("ConfigMap from the age-encrypted vars: %v %v", cm.Data, err)
	}
	sec, err := e.cs.CoreV1().Secrets(e.ns).Get(ctx, "pgp-secret", metav1.GetOptions{})
	if err != nil || string(sec.Data["password"]) != pgpSecret {
		t.Errorf("Secret from the PGP-encrypted manifest: %v", err)
	}
	b, _ := json.Marshal(kd.Status)
	for _, s := range []string{ageSecret, pgpSecret} {
		if strings.Contains(string(b), s) {
			t.Errorf("the status holds %q", s)
		}
	}
}
