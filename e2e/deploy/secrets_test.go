package deploy

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"strings"
	"testing"

	"github.com/kluctl-go/kluctl/e2e/kluctltest"
	"github.com/kluctl-go/kluctl/internal/results"
)

// TestSecretValuesAppearInNoOutput runs every cluster command on a project
// with Secrets and a sensitive var, in text, yaml and json, and looks for
// the secret values (plain and base64) in everything printed.
func TestSecretValuesAppearInNoOutput(t *testing.T) {
	e := newEnv(t)
	ns := e.c.NewNamespace(t)
	secrets := []string{"s3cr3t-string-data", "s3cr3t-data-value", "s3cr3t-sensitive-var", "s3cr3t-changed-value"}
	files := func(stringData string) map[string]string {
		return map[string]string{
			".kluctl.yaml": "discriminator: secrets-{{ target.name }}\ntargets:\n  - name: t\n",
			"deployment.yaml": `vars:
  - values:
      db:
        password: s3cr3t-sensitive-var
    sensitive: true
deployments:
  - path: app
`,
			"app/secret.yaml": `apiVersion: v1
kind: Secret
metadata:
  name: creds
  namespace: ` + ns + `
stringData:
  token: ` + stringData + `
data:
  raw: ` + base64.StdEncoding.EncodeToString([]byte("s3cr3t-data-value")) + `
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: uses-var
  namespace: ` + ns + `
data:
  dsn: "postgres://app:{{ db.password }}@db"
`,
		}
	}
	dir := kluctltest.WriteProject(t, files("s3cr3t-string-data"))
	base := []string{"--project-dir", dir, "-t", "t"}
	var outputs []string
	run := func(args ...string) {
		t.Helper()
		for _, format := range []string{"text", "yaml", "json"} {
			res := e.kluctl(append(append(args, base...), "-o", format)...)
			outputs = append(outputs, res.Stdout, res.Stderr)
			if res.Code != 0 && args[0] != "validate" {
				t.Fatalf("kluctl %v -o %s: exit %d\n%s", args, format, res.Code, res.Stderr)
			}
		}
	}
	run("deploy", "--yes")
	// Change the secret and the var-derived value, so that diffs have
	// something to show.
	writeFile(t, dir+"/app/secret.yaml", strings.Replace(files("s3cr3t-changed-value")["app/secret.yaml"], "app:{{", "app2:{{", 1))
	run("diff")
	run("deploy", "--yes")
	run("validate")
	writeFile(t, dir+"/deployment.yaml", "deployments: []\n")
	run("diff")
	run("prune", "--yes")
	// The results stored in the cluster hide them too.
	st := e.resultStore(results.Options{})
	sums, err := st.ListCommandResultSummaries(context.Background(), results.Filter{})
	if err != nil {
		t.Fatal(err)
	}
	stored := 0
	for _, sum := range sums {
		if sum.TargetKey.Discriminator != "secrets-t" {
			continue
		}
		cr, err := st.GetCommandResult(context.Background(), sum.ID, false)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := json.Marshal(cr)
		outputs = append(outputs, string(b))
		stored++
	}
	if stored < 3 {
		t.Errorf("want the results of deploy, deploy and prune stored, found %d", stored)
	}
	for _, out := range outputs {
		for _, s := range secrets {
			for _, form := range []string{s, base64.StdEncoding.EncodeToString([]byte(s))} {
				if strings.Contains(out, form) {
					t.Errorf("secret %q printed:\n%s", form, out)
				}
			}
		}
	}
}
