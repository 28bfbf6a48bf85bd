package controller

import (
	"strings"
	"testing"

	"k8s.io/client-go/tools/clientcmd"

	"github.com/kluctl-go/kluctl/internal/diff"
	"github.com/kluctl-go/kluctl/internal/result"
)

func TestCheckKubeconfigRefusesUnsafeUsers(t *testing.T) {
	base := "apiVersion: v1\nkind: Config\nclusters:\n- name: c\n  cluster: {server: \"https://127.0.0.1:1\"%s}\nusers:\n- name: u\n  user: {%s}\ncontexts:\n- name: default\n  context: {cluster: c, user: u}\ncurrent-context: default\n"
	for _, tt := range []struct {
		cluster, user, want string
	}{
		{"", "token: abc", ""},
		{"", "exec: {apiVersion: client.authentication.k8s.io/v1, command: /bin/sh}", "exec plugin"},
		{"", "auth-provider: {name: gcp}", "auth-provider"},
		{"", "tokenFile: /var/run/secrets/token", "files on the controller"},
		{", insecure-skip-tls-verify: true", "token: abc", "insecure-skip-tls-verify"},
		{", certificate-authority: /etc/ca.crt", "token: abc", "file on the controller"},
	} {
		cfg, err := clientcmd.Load([]byte(strings.Replace(strings.Replace(base, "%s", tt.cluster, 1), "%s", tt.user, 1)))
		if err != nil {
			t.Fatal(err)
		}
		err = checkKubeconfig(cfg)
		if (tt.want == "") != (err == nil) || (err != nil && !strings.Contains(err.Error(), tt.want)) {
			t.Errorf("cluster %q user %q: %v, want %q", tt.cluster, tt.user, err, tt.want)
		}
	}
}

func TestResultMessage(t *testing.T) {
	sum := &result.CommandResultSummary{NewObjects: 3, ChangedObjects: 1, Warnings: []result.DeploymentError{{Message: "w"}}}
	if got, want := resultMessage(sum, "deploy"), "deploy succeeded with 1 warnings. 3 new objects. 1 changed objects."; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
	sum = &result.CommandResultSummary{Errors: []result.DeploymentError{{Message: "e"}}, OrphanObjects: 2}
	if got, want := resultMessage(sum, "prune"), "prune failed with 1 errors. 2 orphan objects."; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
}

func TestDriftShortMessage(t *testing.T) {
	d := &result.DriftDetectionResult{}
	if d.ShortMessage() != "no drift" {
		t.Errorf("empty: %q", d.ShortMessage())
	}
	d.Objects = []result.DriftedObject{{BaseObject: result.BaseObject{New: true}}, {BaseObject: result.BaseObject{Changes: make([]diff.Change, 1)}}, {BaseObject: result.BaseObject{Orphan: true}}}
	d.Warnings = []result.DeploymentError{{Message: "w"}}
	if got, want := d.ShortMessage(), "1 new/1 chg/1 orp/1 wrn"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
}
