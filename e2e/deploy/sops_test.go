package deploy

import (
	"context"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/kluctl-go/kluctl/e2e/kluctltest"
	"github.com/kluctl-go/kluctl/internal/k8s"
	"github.com/kluctl-go/kluctl/internal/results"
	"github.com/kluctl-go/kluctl/internal/sops/sopstest"
)

// TestDeploySopsSecrets: a SOPS-encrypted vars file and Secret deploy with
// the age key present, in plain text in the cluster and nowhere in the
// output; without the key nothing is applied and the error names the file.
func TestDeploySopsSecrets(t *testing.T) {
	e := newEnv(t)
	ns := e.c.NewNamespace(t)
	id, rcpt, err := sopstest.NewAge()
	if err != nil {
		t.Fatal(err)
	}
	const varSecret, dataSecret = "deploy-vars-secret-1", "deploy-data-secret-2"
	vars, err := sopstest.Encrypt("secrets.yaml", []byte("db:\n  user: "+varSecret+"\n"), sopstest.Options{Age: []string{rcpt}})
	if err != nil {
		t.Fatal(err)
	}
	secret, err := sopstest.Encrypt("secret.yaml", []byte("apiVersion: v1\nkind: Secret\nmetadata:\n  name: sops-secret\n  namespace: "+ns+"\nstringData:\n  password: "+dataSecret+"\n"),
		sopstest.Options{Age: []string{rcpt}, EncryptedRegex: "^(data|stringData)$"})
	if err != nil {
		t.Fatal(err)
	}
	dir := kluctltest.WriteProject(t, map[string]string{
		".kluctl.yaml":    "targets:\n  - name: test\n",
		"deployment.yml":  "vars:\n  - file: secrets.yaml\ndeployments:\n  - path: app\n",
		"secrets.yaml":    string(vars),
		"app/secret.yaml": string(secret),
		"app/cm.yaml":     "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: sops-cm\n  namespace: " + ns + "\ndata:\n  user: \"{{ db.user }}\"\n",
	})
	tmp := t.TempDir()
	keyFile := filepath.Join(tmp, "keys.txt")
	writeFile(t, keyFile, id+"\n")
	base := append([]string{}, e.env...)

	e.env = append(base, "HOME="+tmp, "XDG_CONFIG_HOME="+filepath.Join(tmp, "config"))
	res := e.kluctl("deploy", "--project-dir", dir, "-t", "test", "--yes")
	if res.Code == 0 || !strings.Contains(res.Stderr, "secrets.yaml is encrypted with SOPS") {
		t.Fatalf("deploy without the key: exit %d: %s", res.Code, res.Stderr)
	}
	ctx := context.Background()
	if _, err := e.cs.CoreV1().ConfigMaps(ns).Get(ctx, "sops-cm", metav1.GetOptions{}); !apierrors.IsNotFound(err) {
		t.Errorf("something was applied without the key: %v", err)
	}

	e.env = append(base, "HOME="+tmp, "SOPS_AGE_KEY_FILE="+keyFile)
	res = e.kluctl("deploy", "--project-dir", dir, "-t", "test", "--yes", "-o", "yaml")
	if res.Code != 0 {
		t.Fatalf("deploy: exit %d: %s", res.Code, res.Stderr)
	}
	sec, err := e.cs.CoreV1().Secrets(ns).Get(ctx, "sops-secret", metav1.GetOptions{})
	if err != nil || string(sec.Data["password"]) != dataSecret {
		t.Fatalf("deployed Secret: %v %v", sec, err)
	}
	cm, err := e.cs.CoreV1().ConfigMaps(ns).Get(ctx, "sops-cm", metav1.GetOptions{})
	if err != nil || cm.Data["user"] != varSecret {
		t.Fatalf("deployed ConfigMap: %v %v", cm, err)
	}
	for _, s := range []string{varSecret, dataSecret} {
		if strings.Contains(res.Stdout+res.Stderr, s) {
			t.Errorf("the output holds the decrypted %q", s)
		}
	}
	// Nor does the stored command result.
	clients, err := k8s.NewClients(e.c.RESTConfig())
	if err != nil {
		t.Fatal(err)
	}
	store := results.New(clients, results.Options{})
	sums, err := store.ListCommandResultSummaries(ctx, results.Filter{})
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, sum := range sums {
		cr, err := store.GetCommandResult(ctx, sum.ID, false)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := json.Marshal(cr)
		if !strings.Contains(string(b), "sops-secret") {
			continue
		}
		found = true
		for _, s := range []string{varSecret, dataSecret} {
			if strings.Contains(string(b), s) {
				t.Errorf("result %s holds the decrypted %q", sum.ID, s)
			}
		}
	}
	if !found {
		t.Errorf("no stored result of the deploy")
	}
}
