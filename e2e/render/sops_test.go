package render

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ProtonMail/go-crypto/openpgp"

	"github.com/kluctl-go/kluctl/e2e/kluctltest"
	"github.com/kluctl-go/kluctl/internal/sops/sopstest"
)

const (
	varsSecret     = "vars-secret-from-sops"
	manifestSecret = "manifest-secret-from-sops"
	valuesSecret   = "values-secret-from-sops"
)

// sopsProject writes a project with a SOPS-encrypted vars file, Secret
// manifest and Helm values (of a local chart), encrypted with opts.
func sopsProject(t *testing.T, opts sopstest.Options) string {
	t.Helper()
	enc := func(name, plain string) string {
		b, err := sopstest.Encrypt(name, []byte(plain), opts)
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	secretOpts := opts
	secretOpts.EncryptedRegex = "^(data|stringData)$"
	secret, err := sopstest.Encrypt("secret.yaml", []byte("apiVersion: v1\nkind: Secret\nmetadata:\n  name: from-sops\n  namespace: default\nstringData:\n  password: "+manifestSecret+"\n"), secretOpts)
	if err != nil {
		t.Fatal(err)
	}
	return kluctltest.WriteProject(t, map[string]string{
		".kluctl.yaml":                  "targets:\n  - name: test\n",
		"deployment.yml":                "vars:\n  - file: secrets.yaml\ndeployments:\n  - path: app\n  - path: chart\n",
		"secrets.yaml":                  enc("secrets.yaml", "db:\n  password: "+varsSecret+"\n"),
		"app/cm.yaml":                   "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: from-vars\n  namespace: default\ndata:\n  password: \"{{ db.password }}\"\n",
		"app/secret.yaml":               string(secret),
		"chart/helm-chart.yaml":         "helmChart:\n  path: local\n  releaseName: local\n",
		"chart/helm-values.yaml":        enc("helm-values.yaml", "password: "+valuesSecret+"\n"),
		"chart/local/Chart.yaml":        "apiVersion: v2\nname: local\nversion: 0.1.0\n",
		"chart/local/templates/cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: from-values\n  namespace: default\ndata:\n  password: {{ .Values.password | quote }}\n",
	})
}

func TestSopsRender(t *testing.T) {
	id, rcpt, err := sopstest.NewAge()
	if err != nil {
		t.Fatal(err)
	}
	dir := sopsProject(t, sopstest.Options{Age: []string{rcpt}})
	keyFile := filepath.Join(t.TempDir(), "keys.txt")
	writeFile(t, keyFile, id+"\n")

	// Without the key: a clear error naming the file, nothing rendered.
	res := kluctltest.Run(t, isolatedEnv(t), "render", "--project-dir", dir, "-t", "test", "--offline-kubernetes", "--print-all")
	if res.Code == 0 || !strings.Contains(res.Stderr, "secrets.yaml is encrypted with SOPS") || !strings.Contains(res.Stderr, rcpt) {
		t.Fatalf("render without the key: exit %d: %s", res.Code, res.Stderr)
	}

	out := t.TempDir()
	for _, env := range [][]string{
		isolatedEnv(t, "SOPS_AGE_KEY_FILE="+keyFile),
		isolatedEnv(t, "SOPS_AGE_KEY="+id),
	} {
		res = kluctltest.Run(t, env, "render", "--project-dir", dir, "-t", "test", "--offline-kubernetes", "--print-all", "--render-output-dir", out)
		if res.Code != 0 {
			t.Fatalf("render: exit %d: %s", res.Code, res.Stderr)
		}
		objs := parseObjects(t, []byte(res.Stdout))
		for _, name := range []string{"from-vars", "from-values"} {
			if got := cmData(t, objs, "default", name)["password"]; got != "*****" {
				t.Errorf("%s: password %v, want the decrypted value, masked", name, got)
			}
		}
		for _, s := range []string{varsSecret, manifestSecret, valuesSecret, "ENC["} {
			if strings.Contains(res.Stdout+res.Stderr, s) {
				t.Errorf("the output holds %q", s)
			}
		}
	}
	// The rendered files on disk stay encrypted.
	for rel, content := range snapshot(t, out) {
		for _, s := range []string{varsSecret, manifestSecret, valuesSecret} {
			if strings.Contains(content, s) {
				t.Errorf("%s in the render output dir holds a decrypted value", rel)
			}
		}
	}
	if !strings.Contains(snapshot(t, out)["app/secret.yaml"], "ENC[") {
		t.Errorf("the rendered secret.yaml is not the encrypted file")
	}
}

// TestSopsRenderWithGPG: a PGP-encrypted file is decrypted through gpg
// with $GNUPGHOME, as SOPS does.
func TestSopsRenderWithGPG(t *testing.T) {
	if _, err := exec.LookPath("gpg"); err != nil {
		t.Fatalf("gpg is needed (installed by the project's test dependencies): %v", err)
	}
	entity, armored, err := sopstest.NewPGP("kluctl-test")
	if err != nil {
		t.Fatal(err)
	}
	home, err := os.MkdirTemp("", "gnupg-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = exec.Command("gpgconf", "--homedir", home, "--kill", "gpg-agent").Run()
		_ = os.RemoveAll(home)
	})
	if err := os.Chmod(home, 0o700); err != nil {
		t.Fatal(err)
	}
	imp := exec.Command("gpg", "--batch", "--import")
	imp.Env = append(os.Environ(), "GNUPGHOME="+home)
	imp.Stdin = strings.NewReader(string(armored))
	if b, err := imp.CombinedOutput(); err != nil {
		t.Fatalf("gpg --import: %v: %s", err, b)
	}
	dir := sopsProject(t, sopstest.Options{PGP: []*openpgp.Entity{entity}})
	res := kluctltest.Run(t, isolatedEnv(t, "GNUPGHOME="+home), "render", "--project-dir", dir, "-t", "test", "--offline-kubernetes", "--print-all")
	if res.Code != 0 {
		t.Fatalf("render: exit %d: %s", res.Code, res.Stderr)
	}
	if got := cmData(t, parseObjects(t, []byte(res.Stdout)), "default", "from-vars")["password"]; got != "*****" {
		t.Errorf("from-vars: %v", got)
	}
	res = kluctltest.Run(t, isolatedEnv(t, "GNUPGHOME="+t.TempDir()), "render", "--project-dir", dir, "-t", "test", "--offline-kubernetes")
	if res.Code == 0 || !strings.Contains(res.Stderr, "encrypted with SOPS") {
		t.Errorf("without the PGP key: exit %d: %s", res.Code, res.Stderr)
	}
}

// TestSopsSecretGeneratorEnvFile: a SOPS-encrypted .env file of a
// Kustomize secretGenerator is decrypted for Kustomize.
func TestSopsSecretGeneratorEnvFile(t *testing.T) {
	id, rcpt, err := sopstest.NewAge()
	if err != nil {
		t.Fatal(err)
	}
	const plain = "generated-secret-value"
	env, err := sopstest.Encrypt("secret.env", []byte("PASSWORD="+plain+"\n"), sopstest.Options{Age: []string{rcpt}})
	if err != nil {
		t.Fatal(err)
	}
	dir := kluctltest.WriteProject(t, map[string]string{
		".kluctl.yaml":           "targets:\n  - name: test\n",
		"deployment.yml":         "deployments:\n  - path: app\n",
		"app/kustomization.yaml": "secretGenerator:\n  - name: generated\n    namespace: default\n    envs: [secret.env]\ngeneratorOptions:\n  disableNameSuffixHash: true\n",
		"app/secret.env":         string(env),
	})
	res := kluctltest.Run(t, isolatedEnv(t, "SOPS_AGE_KEY="+id), "render", "--project-dir", dir, "-t", "test", "--offline-kubernetes", "--print-all")
	if res.Code != 0 {
		t.Fatalf("render: exit %d: %s", res.Code, res.Stderr)
	}
	objs := parseObjects(t, []byte(res.Stdout))
	sec := objs["v1/Secret/default/generated"]
	data, _ := sec["data"].(map[string]any)
	if data["PASSWORD"] != "*****" {
		t.Errorf("generated Secret data: %v; want the decrypted value, masked", data)
	}
	if strings.Contains(res.Stdout, plain) || strings.Contains(res.Stdout, "ENC[") {
		t.Errorf("the output holds the plain or encrypted value:\n%s", res.Stdout)
	}
}
