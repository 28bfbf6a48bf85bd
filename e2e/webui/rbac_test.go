package webui

import (
	"context"
	"net/http"
	"path/filepath"
	"testing"

	authv1 "k8s.io/api/authentication/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"

	"github.com/kluctl-go/kluctl/api/v1beta1"
)

// TestWebUIWithInstallRBAC runs the UI in-cluster as the install project's
// service account kluctl-webui, with only the rights the install project
// gives it: it generates its Secret, lists and reads results (from
// kluctl-results alone), watches KluctlDeployments and acts as the admin
// RBAC user.
func TestWebUIWithInstallRBAC(t *testing.T) {
	e := newEnv(t)
	e.applyWebuiRBAC(true)
	dir := e.smallProject()
	e.kluctl("deploy", "--project-dir", dir, "-t", "api", "--context", e.c.Context(), "--yes")
	e.kd("rbac-kd", "test", func(kd *v1beta1.KluctlDeployment) { kd.Spec.Suspend = true })

	ctx := context.Background()
	hour := int64(3600)
	tr, err := e.cs.CoreV1().ServiceAccounts("kluctl-system").CreateToken(ctx, "kluctl-webui",
		&authv1.TokenRequest{Spec: authv1.TokenRequestSpec{ExpirationSeconds: &hour}}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := clientcmd.LoadFromFile(e.c.KubeconfigPath())
	if err != nil {
		t.Fatal(err)
	}
	admin := cfg.Contexts[e.c.Context()]
	cfg.AuthInfos["webui-sa"] = &clientcmdapi.AuthInfo{Token: tr.Status.Token}
	cfg.Contexts["webui-sa"] = &clientcmdapi.Context{Cluster: admin.Cluster, AuthInfo: "webui-sa"}
	kc := filepath.Join(t.TempDir(), "kubeconfig")
	if err := clientcmd.WriteToFile(*cfg, kc); err != nil {
		t.Fatal(err)
	}

	base, _ := e.webui("--kubeconfig", kc, "--in-cluster", "--in-cluster-context", "webui-sa")
	cookie := session(t, base, "admin", e.secret("webui-secret", "admin-password", "kluctl-system"))
	msgs := readEvents(t, base, cookie, func(msgs []map[string]any) bool {
		if findSummary(msgs, "api", "deploy") == nil {
			return false
		}
		for _, m := range msgs {
			if d, ok := m["deployment"].(map[string]any); ok && d["metadata"].(map[string]any)["name"] == "rbac-kd" {
				return true
			}
		}
		return false
	})
	sum := findSummary(msgs, "api", "deploy")
	if code, b := httpGet(t, base+"api/getCommandResult?resultId="+sum["id"].(string), cookie); code != 200 {
		t.Fatalf("getCommandResult as the service account: %d %s", code, b)
	}
	// (It stays suspended, so that nothing deploys.)
	p := map[string]any{"cluster": sum["clusterInfo"].(map[string]any)["clusterId"], "name": "rbac-kd", "namespace": e.ns, "objectsHash": "approved-hash"}
	if code := post(t, base+"api/setManualObjectsHash", p, cookie); code != http.StatusOK {
		t.Fatalf("setManualObjectsHash through the admin RBAC user: %d", code)
	}
	if h := e.get("rbac-kd").Spec.ManualObjectsHash; h == nil || *h != "approved-hash" {
		t.Errorf("spec.manualObjectsHash = %v", h)
	}
}
