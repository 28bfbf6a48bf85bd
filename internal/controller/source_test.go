package controller

import (
	"context"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/kluctl-go/kluctl/api/v1beta1"
)

// TestGitCredentialsWildcardHostIsSSHOnly: host "*" (or empty) in
// spec.credentials.git applies to ssh URLs only, as the original
// documents it; https needs the host named, so a password never goes to a
// host a project merely includes.
func TestGitCredentialsWildcardHostIsSSHOnly(t *testing.T) {
	secret := func(name, password string) *corev1.Secret {
		return &corev1.Secret{
			ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "ns"},
			Data:       map[string][]byte{"username": []byte("u"), "password": []byte(password), "identity": []byte("key-of-" + name)},
		}
	}
	c := fakeClient(t, secret("wild", "wild-password"), secret("empty", "empty-password"), secret("named", "named-password"))
	kd := &v1beta1.KluctlDeployment{ObjectMeta: metav1.ObjectMeta{Name: "kd", Namespace: "ns"}}
	kd.Spec.Credentials.Git = []v1beta1.ProjectCredentialsGit{
		{Host: "*", SecretRef: v1beta1.LocalObjectReference{Name: "wild"}},
		{Host: "", SecretRef: v1beta1.LocalObjectReference{Name: "empty"}},
		{Host: "git.example.com", Path: "org/*", SecretRef: v1beta1.LocalObjectReference{Name: "named"}},
	}
	rc := testReconciler(c).newRun(context.Background(), kd)
	for _, tt := range []struct {
		url, want string
	}{
		{"ssh://git@other.example.com/org/repo.git", "wild-password"},
		{"git@other.example.com:org/repo.git", "wild-password"},
		{"https://other.example.com/org/repo.git", ""},
		{"http://other.example.com/org/repo.git", ""},
		{"https://git.example.com/org/repo.git", "named-password"},
		{"https://git.example.com/elsewhere/repo.git", ""},
	} {
		auth, err := rc.gitAuthURL(tt.url, tt.url)
		if err != nil {
			t.Fatalf("%s: %v", tt.url, err)
		}
		got := ""
		if auth != nil {
			got = auth.Password
		}
		if got != tt.want {
			t.Errorf("%s: credentials with password %q, want %q", tt.url, got, tt.want)
		}
	}

	// Only ssh has a wildcard: the empty host behaves as "*".
	kd.Spec.Credentials.Git = kd.Spec.Credentials.Git[1:2]
	if auth, _ := rc.gitAuthURL("https://x.example.com/r.git", "https://x.example.com/r.git"); auth != nil {
		t.Error("an empty host matched an https URL")
	}
	if auth, _ := rc.gitAuthURL("ssh://git@x.example.com/r.git", "ssh://git@x.example.com/r.git"); auth == nil || auth.Password != "empty-password" {
		t.Errorf("an empty host did not match an ssh URL: %+v", auth)
	}

	// The deprecated source.secretRef applies to the source's host, also
	// over https, and to no other host.
	kd.Spec.Credentials.Git = nil
	kd.Spec.Source.SecretRef = &v1beta1.LocalObjectReference{Name: "named"}
	src := "https://git.example.com/org/project.git"
	if auth, _ := rc.gitAuthURL(src, src); auth == nil || auth.Password != "named-password" {
		t.Errorf("source.secretRef for the source: %+v", auth)
	}
	if auth, _ := rc.gitAuthURL("https://other.example.com/org/lib.git", src); auth != nil {
		t.Error("source.secretRef was used for another host")
	}
}
