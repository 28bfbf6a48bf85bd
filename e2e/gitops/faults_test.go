package gitops

import (
	"context"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/kluctl-go/kluctl/api/v1beta1"
)

// smallProject is a one-ConfigMap project in the git repository "small",
// deploying into namespace ns.
func (e *env) smallProject(ns, value string) string {
	e.t.Helper()
	commit, err := e.git.Commit("small", "main", map[string][]byte{
		".kluctl.yaml":    []byte("discriminator: small-{{ target.name }}-" + ns + "\ntargets:\n  - name: t\n    context: default\n"),
		"deployment.yaml": []byte("deployments:\n  - path: cm\n"),
		"cm/cm.yaml":      []byte("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: small\n  namespace: " + ns + "\ndata:\n  value: \"" + value + "\"\n"),
	}, "small "+value)
	if err != nil {
		e.t.Fatal(err)
	}
	return commit
}

func (e *env) smallKD(name string, mutate func(*v1beta1.KluctlDeployment)) {
	e.kd(name, "t", func(kd *v1beta1.KluctlDeployment) {
		kd.Spec.Source.Git.URL = e.git.URL("small")
		kd.Spec.Source.Git.Path = ""
		kd.Spec.Interval.Duration = 2 * time.Second
		if mutate != nil {
			mutate(kd)
		}
	})
}

func readyMessage(kd *v1beta1.KluctlDeployment) string {
	_, m := readyStatus(kd)
	return m
}

func notReadyWith(text string) func(*v1beta1.KluctlDeployment) bool {
	return func(kd *v1beta1.KluctlDeployment) bool {
		s, m := readyStatus(kd)
		return s == metav1.ConditionFalse && strings.Contains(m, text)
	}
}

// TestGitOpsFaults: wrong branches, bad credentials, a missing kubeconfig
// secret and a git server that goes away give clear conditions and recover
// without a restart once fixed.
func TestGitOpsFaults(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	e.smallProject(e.ns, "1")

	e.smallKD("branch", func(kd *v1beta1.KluctlDeployment) { kd.Spec.Source.Git.Ref.Branch = "nope" })
	e.waitFor("branch", "a wrong-branch condition", time.Minute, notReadyWith(`branch "nope" not found`))
	e.patch("branch", func(kd *v1beta1.KluctlDeployment) { kd.Spec.Source.Git.Ref.Branch = "main" })
	e.waitFor("branch", "recovery from the wrong branch", time.Minute, isReady)

	if _, err := e.cs.CoreV1().Secrets(e.ns).Create(ctx, &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: "bad-credentials"},
		StringData: map[string]string{"username": gitUser, "password": "wrong-password"}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	e.smallKD("creds", func(kd *v1beta1.KluctlDeployment) {
		kd.Spec.Credentials.Git[0].SecretRef.Name = "bad-credentials"
	})
	kd := e.waitFor("creds", "a bad-credentials condition", time.Minute, notReadyWith("authentication"))
	if strings.Contains(readyMessage(kd), "wrong-password") {
		t.Errorf("the condition shows the password: %s", readyMessage(kd))
	}
	e.patch("creds", func(kd *v1beta1.KluctlDeployment) { kd.Spec.Credentials.Git[0].SecretRef.Name = "git-credentials" })
	e.waitFor("creds", "recovery from bad credentials", time.Minute, isReady)

	// A kubeConfig secret that does not exist yet.
	e.smallKD("kubeconfig", func(kd *v1beta1.KluctlDeployment) {
		kd.Spec.KubeConfig = &v1beta1.KubeConfig{SecretRef: v1beta1.SecretKeyReference{Name: "target-kubeconfig"}}
		ctxName := e.c.Context()
		kd.Spec.Context = &ctxName
	})
	e.waitFor("kubeconfig", "a missing-secret condition", time.Minute, notReadyWith("target-kubeconfig"))
	raw, err := readFile(e.c.KubeconfigPath())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.cs.CoreV1().Secrets(e.ns).Create(ctx, &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: "target-kubeconfig"},
		Data: map[string][]byte{"value": raw}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	e.waitFor("kubeconfig", "recovery once the secret exists", time.Minute, isReady)

	// The git server goes away: the deployed state stays, the status says
	// why nothing new is deployed; it recovers when the server is back.
	e.git.SetDown(true)
	e.waitFor("branch", "a git-down condition", time.Minute, notReadyWith("failed to clone git source"))
	if _, err := e.cs.CoreV1().ConfigMaps(e.ns).Get(ctx, "small", metav1.GetOptions{}); err != nil {
		t.Fatalf("the deployed object is gone while git is down: %v", err)
	}
	e.git.SetDown(false)
	commit := e.smallProject(e.ns, "2")
	e.waitFor("branch", "recovery after git is back", time.Minute, func(kd *v1beta1.KluctlDeployment) bool {
		return isReady(kd) && deployedCommit(kd) == commit
	})
}

// TestGitOpsSecurity: kubeconfig secrets with exec plugins are refused; a
// service account limited to one namespace cannot deploy into another, and
// the status says why.
func TestGitOpsSecurity(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	other := e.c.NewNamespace(t)
	e.smallProject(other, "x")

	exec := "apiVersion: v1\nkind: Config\nclusters:\n- name: c\n  cluster: {server: \"" + e.c.Server() + "\"}\nusers:\n- name: u\n  user:\n    exec: {apiVersion: client.authentication.k8s.io/v1, command: /bin/sh, args: [-c, \"touch /tmp/pwned\"]}\ncontexts:\n- name: default\n  context: {cluster: c, user: u}\ncurrent-context: default\n"
	if _, err := e.cs.CoreV1().Secrets(e.ns).Create(ctx, &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: "exec-kubeconfig"},
		StringData: map[string]string{"value": exec}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	e.smallKD("exec", func(kd *v1beta1.KluctlDeployment) {
		kd.Spec.KubeConfig = &v1beta1.KubeConfig{SecretRef: v1beta1.SecretKeyReference{Name: "exec-kubeconfig"}}
	})
	e.waitFor("exec", "the exec kubeconfig refused", time.Minute, notReadyWith("exec plugin"))

	// A service account that may only write in its own namespace.
	if _, err := e.cs.CoreV1().ServiceAccounts(e.ns).Create(ctx, &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: "limited"}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.cs.RbacV1().RoleBindings(e.ns).Create(ctx, &rbacv1.RoleBinding{
		ObjectMeta: metav1.ObjectMeta{Name: "limited-admin"},
		RoleRef:    rbacv1.RoleRef{APIGroup: "rbac.authorization.k8s.io", Kind: "ClusterRole", Name: "admin"},
		Subjects:   []rbacv1.Subject{{Kind: "ServiceAccount", Name: "limited", Namespace: e.ns}},
	}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	e.smallKD("limited", func(kd *v1beta1.KluctlDeployment) { kd.Spec.ServiceAccountName = "limited" })
	kd := e.waitFor("limited", "a permission condition", 2*time.Minute, func(kd *v1beta1.KluctlDeployment) bool {
		s, m := readyStatus(kd)
		return s == metav1.ConditionFalse && strings.Contains(m, "forbidden")
	})
	if _, err := e.cs.CoreV1().ConfigMaps(other).Get(ctx, "small", metav1.GetOptions{}); err == nil {
		t.Fatalf("the limited service account wrote into namespace %s; status: %s", other, readyMessage(kd))
	}
}

// TestGitOpsControllerKilledMidDeploy stops the controller while a deploy
// waits, fixes the project and starts a new controller: it converges.
func TestGitOpsControllerKilledMidDeploy(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	cm := "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: small\n  namespace: " + e.ns + "\ndata:\n  value: \"%s\"\n"
	files := func(wait bool, value string) map[string][]byte {
		dep := "deployments:\n  - path: cm\n"
		if wait {
			dep += "    waitReadinessObjects:\n      - kind: ConfigMap\n        name: never-there\n        namespace: " + e.ns + "\n"
		}
		return map[string][]byte{
			".kluctl.yaml":    []byte("discriminator: killed-{{ target.name }}-" + e.ns + "\ntargets:\n  - name: t\n    context: default\n"),
			"deployment.yaml": []byte(dep),
			"cm/cm.yaml":      []byte(strings.Replace(cm, "%s", value, 1)),
		}
	}
	if _, err := e.git.Commit("small", "main", files(true, "1"), "stuck"); err != nil {
		t.Fatal(err)
	}
	e.smallKD("killed", func(kd *v1beta1.KluctlDeployment) { kd.Spec.Interval.Duration = time.Second })
	e.waitFor("killed", "the deploy waiting", time.Minute, func(kd *v1beta1.KluctlDeployment) bool {
		c := findCondition(kd, v1beta1.ReconcilingCondition)
		_, err := e.cs.CoreV1().ConfigMaps(e.ns).Get(ctx, "small", metav1.GetOptions{})
		return c != nil && strings.Contains(c.Message, "full-deploy") && err == nil
	})
	time.Sleep(2 * time.Second) // the interval passed: the deploy must not be restarted
	if kd := e.get("killed"); kd.Status.LastDeployResult != nil {
		t.Fatalf("the waiting deploy was cut short: %s", fmtStatus(kd))
	}
	e.stopController()
	commit, err := e.git.Commit("small", "main", files(false, "2"), "fixed")
	if err != nil {
		t.Fatal(err)
	}
	e.startController()
	e.waitFor("killed", "convergence after the restart", 2*time.Minute, func(kd *v1beta1.KluctlDeployment) bool {
		return isReady(kd) && deployedCommit(kd) == commit
	})
	got, err := e.cs.CoreV1().ConfigMaps(e.ns).Get(ctx, "small", metav1.GetOptions{})
	if err != nil || got.Data["value"] != "2" {
		t.Fatalf("the ConfigMap did not converge: %v %v", got.Data, err)
	}
}
