package flux

import (
	"context"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/kluctl-go/kluctl/api/v1alpha1"
	"github.com/kluctl-go/kluctl/internal/simcluster"
)

// secondContext is the context name of the second cluster's kubeconfig.
const secondContext = "second"

// oneConfigMapProject is a project whose only target, named target with
// the given context, writes the ConfigMap "hello" into namespace ns,
// creating the namespace when createNamespace is set. The files go below
// dir.
func oneConfigMapProject(dir, target, kubeContext, ns string, createNamespace bool) map[string][]byte {
	files := map[string][]byte{
		dir + "/.kluctl.yaml": fmt.Appendf(nil, "targets:\n  - name: %s\n    context: %s\n", target, kubeContext),
		dir + "/cm/configmap.yaml": fmt.Appendf(nil,
			"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: hello\n  namespace: %s\ndata:\n  from: %s\n", ns, dir),
	}
	deployments := "deployments:\n  - path: cm\n"
	if createNamespace {
		files[dir+"/namespace/namespace.yaml"] = fmt.Appendf(nil, "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: %s\n", ns)
		deployments = "deployments:\n  - path: namespace\n  - barrier: true\n  - path: cm\n"
	}
	files[dir+"/deployment.yaml"] = []byte(deployments)
	return files
}

// gitRepository creates a Flux GitRepository named name for repository
// name of the test git server.
func (e *env) gitRepository(name string) {
	e.t.Helper()
	repo := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "source.toolkit.fluxcd.io/v1", "kind": "GitRepository",
		"metadata": map[string]any{"name": name, "namespace": e.ns},
		"spec": map[string]any{"url": e.git.URL(name), "interval": "2s",
			"ref": map[string]any{"branch": "main"}, "secretRef": map[string]any{"name": "git-credentials"}},
	}}
	if err := e.cl.Create(context.Background(), repo); err != nil {
		e.t.Fatal(err)
	}
}

// startSecondCluster starts another simulated cluster for the test and
// stores a kubeconfig for it, with everything embedded, in the Secret
// secretName of the test namespace (key "value").
func (e *env) startSecondCluster(secretName string) *simcluster.Cluster {
	t := e.t
	t.Helper()
	second, err := simcluster.Start(context.Background(), simcluster.Options{Nodes: 1, Context: secondContext})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := second.Stop(); err != nil {
			t.Errorf("stop the second cluster: %v", err)
		}
	})
	kubeconfig, err := os.ReadFile(second.KubeconfigPath())
	if err != nil {
		t.Fatal(err)
	}
	// The controller refuses kubeconfigs that name files; this one must
	// stand alone.
	cfg, err := clientcmd.Load(kubeconfig)
	if err != nil {
		t.Fatal(err)
	}
	for name, ai := range cfg.AuthInfos {
		if ai.ClientCertificate != "" || ai.ClientKey != "" || len(ai.ClientCertificateData) == 0 {
			t.Fatalf("user %s of the second cluster's kubeconfig does not embed its certificate", name)
		}
	}
	if _, err := e.cs.CoreV1().Secrets(e.ns).Create(context.Background(), &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Name: secretName},
		Data:       map[string][]byte{"value": kubeconfig},
	}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	return second
}

// newNamespaces creates namespaces with the given name prefixes, deleted
// when the test ends, and returns their names.
func (e *env) newNamespaces(prefixes ...string) []string {
	e.t.Helper()
	var names []string
	for _, p := range prefixes {
		ns, err := e.cs.CoreV1().Namespaces().Create(context.Background(), &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{GenerateName: p}}, metav1.CreateOptions{})
		if err != nil {
			e.t.Fatal(err)
		}
		e.t.Cleanup(func() { _ = e.cs.CoreV1().Namespaces().Delete(context.Background(), ns.Name, metav1.DeleteOptions{}) })
		names = append(names, ns.Name)
	}
	return names
}

// limitedServiceAccount creates the ServiceAccount name in the test
// namespace, allowed everything in namespace allowed and nothing else.
func (e *env) limitedServiceAccount(name, allowed string) {
	e.t.Helper()
	ctx := context.Background()
	if _, err := e.cs.CoreV1().ServiceAccounts(e.ns).Create(ctx, &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: name}}, metav1.CreateOptions{}); err != nil {
		e.t.Fatal(err)
	}
	if _, err := e.cs.RbacV1().Roles(allowed).Create(ctx, &rbacv1.Role{
		ObjectMeta: metav1.ObjectMeta{Name: name},
		Rules:      []rbacv1.PolicyRule{{APIGroups: []string{"*"}, Resources: []string{"*"}, Verbs: []string{"*"}}},
	}, metav1.CreateOptions{}); err != nil {
		e.t.Fatal(err)
	}
	if _, err := e.cs.RbacV1().RoleBindings(allowed).Create(ctx, &rbacv1.RoleBinding{
		ObjectMeta: metav1.ObjectMeta{Name: name},
		RoleRef:    rbacv1.RoleRef{APIGroup: "rbac.authorization.k8s.io", Kind: "Role", Name: name},
		Subjects:   []rbacv1.Subject{{Kind: "ServiceAccount", Name: name, Namespace: e.ns}},
	}, metav1.CreateOptions{}); err != nil {
		e.t.Fatal(err)
	}
}

// configMapExists tells whether ConfigMap "hello" exists in ns of cs's
// cluster.
func configMapExists(t *testing.T, cs kubernetes.Interface, ns string) bool {
	t.Helper()
	_, err := cs.CoreV1().ConfigMaps(ns).Get(context.Background(), "hello", metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		return false
	}
	if err != nil {
		t.Fatal(err)
	}
	return true
}

// TestFluxMultiCluster: several clusters. A KluctlDeployment with a
// kubeConfig Secret deploys into another cluster, its target's context
// renamed from the kubeconfig's; a KluctlDeployment with a
// serviceAccountName deploys with that account's permissions only, and
// says so when they do not suffice.
func TestFluxMultiCluster(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()

	second := e.startSecondCluster("second-kubeconfig")
	secondCS, err := kubernetes.NewForConfig(second.RESTConfig())
	if err != nil {
		t.Fatal(err)
	}
	nss := e.newNamespaces("team-a-", "team-b-")
	teamA, teamB := nss[0], nss[1]
	e.limitedServiceAccount("team-a-deployer", teamA)

	remoteNS := "remote-" + e.ns
	files := oneConfigMapProject("remote", "production", "production-cluster", remoteNS, true)
	for k, v := range oneConfigMapProject("team-a", "a", "default", teamA, false) {
		files[k] = v
	}
	for k, v := range oneConfigMapProject("team-b", "b", "default", teamB, false) {
		files[k] = v
	}
	if _, err := e.git.Commit("several-clusters", "main", files, "three small projects"); err != nil {
		t.Fatal(err)
	}
	e.gitRepository("several-clusters")

	kd := func(name, path, target, extra string) string {
		return fmt.Sprintf(`apiVersion: flux.kluctl.io/v1alpha1
kind: KluctlDeployment
metadata:
  name: %s
spec:
  interval: 1m
  retryInterval: 5s
  path: ./%s
  sourceRef:
    kind: GitRepository
    name: several-clusters
  timeout: 2m
  target: %s
%s`, name, path, target, extra)
	}
	e.apply(kd("remote", "remote", "production",
		"  kubeConfig:\n    secretRef:\n      name: second-kubeconfig\n  renameContexts:\n    - oldContext: "+secondContext+"\n      newContext: production-cluster\n"))
	e.apply(kd("team-a", "team-a", "a", "  serviceAccountName: team-a-deployer\n"))
	e.apply(kd("team-b", "team-b", "b", "  serviceAccountName: team-a-deployer\n"))

	// The kubeConfig Secret's cluster gets the ConfigMap; the controller's
	// own cluster does not.
	e.waitFor("remote", "Ready", 3*time.Minute, isReady)
	if !configMapExists(t, secondCS, remoteNS) {
		t.Errorf("ConfigMap %s/hello is not in the second cluster", remoteNS)
	}
	if _, err := e.cs.CoreV1().Namespaces().Get(ctx, remoteNS, metav1.GetOptions{}); !apierrors.IsNotFound(err) {
		t.Errorf("namespace %s is in the controller's own cluster too: %v", remoteNS, err)
	}

	// The service account may write into team A's namespace ...
	e.waitFor("team-a", "Ready", 3*time.Minute, isReady)
	if !configMapExists(t, e.cs, teamA) {
		t.Errorf("ConfigMap %s/hello was not deployed", teamA)
	}
	// ... and not into team B's.
	b := e.waitFor("team-b", "not Ready for lack of permissions", 3*time.Minute, func(kd *v1alpha1.KluctlDeployment) bool {
		s, reason, _ := ready(kd)
		return s == metav1.ConditionFalse && reason == v1alpha1.DeployFailedReason
	})
	if _, _, msg := ready(b); !strings.Contains(msg, "forbidden") {
		t.Errorf("team-b's Ready condition does not say forbidden: %s", msg)
	} else {
		t.Logf("team-b: %s", msg)
	}
	if configMapExists(t, e.cs, teamB) {
		t.Errorf("the service account of team A wrote into %s", teamB)
	}
}
