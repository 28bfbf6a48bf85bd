package webui

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/kluctl-go/kluctl/api/v1beta1"
	"github.com/kluctl-go/kluctl/e2e/kluctltest"
)

// The JSON keys the original's web UI API answers with (its
// pkg/types/result CommandResultSummary, CommandResult, ValidateResult and
// pkg/webui auth types); optional keys may be left out.
var (
	summaryKeys = keys{
		required: []string{"id", "reconcileId", "projectKey", "targetKey", "target", "commandInfo", "gitInfo", "clusterInfo",
			"renderedObjects", "remoteObjects", "appliedObjects", "appliedHookObjects", "newObjects", "changedObjects",
			"orphanObjects", "deletedObjects", "errors", "warnings", "totalChanges"},
		optional: []string{"kluctlDeployment", "renderedObjectsHash"},
	}
	commandResultKeys = keys{
		required: []string{"id", "reconcileId", "projectKey", "targetKey", "target", "command", "gitInfo", "clusterInfo", "objects"},
		optional: []string{"kluctlDeployment", "overridesPatch", "deployment", "renderedObjectsHash", "errors", "warnings", "seenImages"},
	}
	resultObjectKeys = keys{
		required: []string{"ref"},
		optional: []string{"changes", "new", "orphan", "deleted", "hook", "rendered", "remote", "applied"},
	}
	validateResultKeys = keys{
		required: []string{"id", "projectKey", "targetKey", "startTime", "endTime", "ready"},
		optional: []string{"reconcileId", "kluctlDeployment", "overridesPatch", "renderedObjectsHash", "warnings", "errors", "results", "drift"},
	}
	validateSummaryKeys = keys{
		required: []string{"id", "projectKey", "targetKey", "startTime", "endTime", "ready", "warnings", "errors", "results"},
		optional: []string{"reconcileId", "kluctlDeployment", "renderedObjectsHash"},
	}
	authInfoKeys = keys{required: []string{"authEnabled", "staticLoginEnabled", "oidcEnabled"}, optional: []string{"oidcName"}}
	userKeys     = keys{required: []string{"username", "isAdmin"}}
)

type keys struct{ required, optional []string }

// check fails when m lacks a required key or has one the original does
// not know.
func (k keys) check(t *testing.T, what string, m map[string]any) {
	t.Helper()
	known := map[string]bool{}
	for _, r := range k.required {
		known[r] = true
		if _, ok := m[r]; !ok {
			t.Errorf("%s: key %q missing (have %v)", what, r, mapKeys(m))
		}
	}
	for _, o := range k.optional {
		known[o] = true
	}
	for key := range m {
		if !known[key] {
			t.Errorf("%s: key %q is not in the original's shape", what, key)
		}
	}
}

func mapKeys(m map[string]any) []string {
	var l []string
	for k := range m {
		l = append(l, k)
	}
	sort.Strings(l)
	return l
}

// smallProject has a ConfigMap and a Secret, so that redaction shows.
const secretValue = "hunter2-do-not-show"

func (e *env) smallProject() string {
	return kluctltest.WriteProject(e.t, map[string]string{
		".kluctl.yaml":          "discriminator: webui-api-{{ target.name }}\ntargets:\n  - name: api\n",
		"deployment.yml":        "deployments:\n  - path: app\ncommonLabels:\n  webui-test: api\n",
		"app/kustomization.yml": "resources:\n  - objects.yml\n",
		"app/objects.yml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: api-cm\n  namespace: " + e.ns + "\ndata:\n  color: blue\n---\n" +
			"apiVersion: v1\nkind: Secret\nmetadata:\n  name: api-secret\n  namespace: " + e.ns + "\nstringData:\n  password: " + secretValue + "\n",
	})
}

// session logs in and returns the session cookie.
func session(t *testing.T, base, user, password string) *http.Cookie {
	t.Helper()
	body, _ := json.Marshal(map[string]string{"username": user, "password": password})
	resp, err := http.Post(base+"auth/staticLogin", "application/json", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("login as %s: %s", user, resp.Status)
	}
	for _, c := range resp.Cookies() {
		if c.Name == "auth-session" {
			return c
		}
	}
	t.Fatalf("login as %s set no auth-session cookie", user)
	return nil
}

func post(t *testing.T, url string, body any, cookies ...*http.Cookie) int {
	t.Helper()
	b, _ := json.Marshal(body)
	req, _ := http.NewRequest(http.MethodPost, url, bytes.NewReader(b))
	req.Header.Set("Content-Type", "application/json")
	for _, c := range cookies {
		req.AddCookie(c)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

func decodeMap(t *testing.T, what string, b []byte) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatalf("%s: %v\n%s", what, err, b)
	}
	return m
}

// TestWebUIAPI checks the original's API paths and JSON shapes for results
// stored by the CLI, the events stream, authentication and what viewers
// may not see.
func TestWebUIAPI(t *testing.T) {
	e := newEnv(t)
	dir := e.smallProject()
	e.kluctl("deploy", "--project-dir", dir, "-t", "api", "--context", e.c.Context(), "--yes")
	e.kluctl("validate", "--project-dir", dir, "-t", "api", "--context", e.c.Context())

	base, _ := e.webui("--in-cluster", "--in-cluster-context", e.c.Context(), "--controller-namespace", e.ns)
	adminPW, viewerPW := e.secret("webui-secret", "admin-password"), e.secret("webui-secret", "viewer-password")
	if len(adminPW) != 32 || adminPW == viewerPW {
		t.Fatalf("generated passwords: %d characters, equal %v", len(adminPW), adminPW == viewerPW)
	}

	code, b := httpGet(t, base+"auth/info")
	authInfoKeys.check(t, "/auth/info", decodeMap(t, "/auth/info", b))
	if code != 200 || !strings.Contains(string(b), `"authEnabled":true`) {
		t.Errorf("/auth/info: %d %s", code, b)
	}
	if code, _ := httpGet(t, base+"api/getShortNames"); code != http.StatusUnauthorized {
		t.Errorf("the API without a login answers %d, want 401", code)
	}
	wrong, _ := json.Marshal(map[string]string{"username": "admin", "password": viewerPW})
	if resp, err := http.Post(base+"auth/staticLogin", "application/json", bytes.NewReader(wrong)); err != nil || resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("admin with the viewer's password: %v %v", resp.Status, err)
	}
	admin, viewer := session(t, base, "admin", adminPW), session(t, base, "viewer", viewerPW)
	code, b = httpGet(t, base+"auth/user", viewer)
	userKeys.check(t, "/auth/user", decodeMap(t, "/auth/user", b))
	if code != 200 || !strings.Contains(string(b), `"isAdmin":false`) {
		t.Errorf("/auth/user of the viewer: %d %s", code, b)
	}

	code, b = httpGet(t, base+"api/getShortNames", viewer)
	if code != 200 || !strings.Contains(string(b), `{"kind":"ConfigMap","shortName":"cm"}`) || !strings.Contains(string(b), `{"group":"apps","kind":"Deployment","shortName":"deploy"}`) {
		t.Errorf("getShortNames: %d %.300s", code, b)
	}

	// The events stream: one JSON array per frame, first the state.
	msgs := readEvents(t, base, admin, func(msgs []map[string]any) bool {
		return findSummary(msgs, "api", "deploy") != nil && findType(msgs, "update_validate_result_summary", "api") != nil
	})
	sum := findSummary(msgs, "api", "deploy")
	summaryKeys.check(t, "update_command_result_summary", sum)
	vsum := findType(msgs, "update_validate_result_summary", "api")
	validateSummaryKeys.check(t, "update_validate_result_summary", vsum)
	id, _ := sum["id"].(string)

	code, b = httpGet(t, base+"api/getCommandResult?resultId="+id, admin)
	if code != 200 {
		t.Fatalf("getCommandResult: %d %s", code, b)
	}
	cr := decodeMap(t, "getCommandResult", b)
	commandResultKeys.check(t, "getCommandResult", cr)
	objs, _ := cr["objects"].([]any)
	if len(objs) != 2 {
		t.Fatalf("getCommandResult: %d objects, want the ConfigMap and the Secret", len(objs))
	}
	for _, o := range objs {
		resultObjectKeys.check(t, "getCommandResult objects[]", o.(map[string]any))
	}
	if strings.Contains(string(b), secretValue) || strings.Contains(string(b), "aHVudGVyMi1kby1ub3Qtc2hvdw") {
		t.Error("getCommandResult shows the Secret's value")
	}

	obj := func(c *http.Cookie, kind, name, typ string) (int, string) {
		q := url.Values{"resultId": {id}, "version": {"v1"}, "kind": {kind}, "name": {name}, "namespace": {e.ns}, "objectType": {typ}}
		code, b := httpGet(t, base+"api/getCommandResultObject?"+q.Encode(), c)
		return code, string(b)
	}
	if code, b := obj(admin, "ConfigMap", "api-cm", "rendered"); code != 200 || !strings.Contains(b, `"color":"blue"`) || !strings.Contains(b, `"kind":"ConfigMap"`) {
		t.Errorf("the admin's rendered ConfigMap: %d %s", code, b)
	}
	if code, b := obj(admin, "ConfigMap", "api-cm", "applied"); code != 200 || !strings.Contains(b, `"color":"blue"`) {
		t.Errorf("the admin's applied ConfigMap: %d %s", code, b)
	}
	if code, b := obj(admin, "Secret", "api-secret", "rendered"); code != 200 || strings.Contains(b, secretValue) {
		t.Errorf("the admin's rendered Secret must be masked: %d %s", code, b)
	}
	if code, b := obj(viewer, "ConfigMap", "api-cm", "rendered"); code != 200 || !strings.Contains(b, `"color":"blue"`) {
		t.Errorf("the viewer's rendered ConfigMap: %d %s", code, b)
	}
	for _, typ := range []string{"remote", "applied"} {
		if code, _ := obj(viewer, "ConfigMap", "api-cm", typ); code != http.StatusForbidden {
			t.Errorf("the viewer's %s ConfigMap: %d, want 403", typ, code)
		}
	}
	if code, _ := obj(viewer, "Secret", "api-secret", "rendered"); code != http.StatusForbidden {
		t.Errorf("the viewer's rendered Secret: %d, want 403", code)
	}
	code, b = httpGet(t, base+"api/getCommandResult?resultId="+id, viewer)
	if code != 200 || strings.Contains(string(b), `"remote"`) || strings.Contains(string(b), `"applied"`) {
		t.Errorf("the viewer's getCommandResult carries remote or applied objects: %d %.500s", code, b)
	}
	if code, _ := httpGet(t, base+"api/getCommandResult?resultId=no-such-result", admin); code != http.StatusNotFound {
		t.Errorf("an unknown result: %d, want 404", code)
	}

	vid, _ := vsum["id"].(string)
	code, b = httpGet(t, base+"api/getValidateResult?resultId="+vid, viewer)
	if code != 200 {
		t.Fatalf("getValidateResult: %d %s", code, b)
	}
	validateResultKeys.check(t, "getValidateResult", decodeMap(t, "getValidateResult", b))

	// Actions: refused without a login and for viewers, 404 for what is
	// not there.
	p := map[string]any{"cluster": sum["clusterInfo"].(map[string]any)["clusterId"], "name": "nothing", "namespace": e.ns}
	if code := post(t, base+"api/deployNow", p); code != http.StatusUnauthorized {
		t.Errorf("deployNow without a login: %d", code)
	}
	if code := post(t, base+"api/deployNow", p, viewer); code != http.StatusForbidden {
		t.Errorf("deployNow as viewer: %d, want 403", code)
	}
	if code := post(t, base+"api/deployNow", p, admin); code != http.StatusNotFound {
		t.Errorf("deployNow of a missing KluctlDeployment: %d, want 404", code)
	}
	// Actions act as the admin's RBAC user: with a user RBAC grants
	// nothing, Kubernetes refuses the same request.
	e.kd("api-kd", "test", func(kd *v1beta1.KluctlDeployment) { kd.Spec.Suspend = true })
	p["name"] = "api-kd"
	if code := post(t, base+"api/deployNow", p, admin); code != http.StatusOK {
		t.Errorf("deployNow as admin: %d", code)
	}
	// The controller may have taken the request already.
	if kd := e.get("api-kd"); kd.Annotations[v1beta1.KluctlRequestDeployAnnotation] == "" && kd.Status.DeployRequestResult == nil {
		t.Error("deployNow set no request annotation")
	}
	// The controller takes the annotation off and then records the
	// request in the status: either shows that the request was made.
	for path, req := range map[string]struct{ annotation, status string }{
		"diffNow":      {v1beta1.KluctlRequestDiffAnnotation, "diffRequestResult"},
		"pruneNow":     {v1beta1.KluctlRequestPruneAnnotation, "pruneRequestResult"},
		"validateNow":  {v1beta1.KluctlRequestValidateAnnotation, "validateRequestResult"},
		"reconcileNow": {v1beta1.KluctlRequestReconcileAnnotation, "reconcileRequestResult"},
	} {
		if code := post(t, base+"api/"+path, p, admin); code != http.StatusOK {
			t.Errorf("%s as admin: %d", path, code)
		}
		e.waitFor("api-kd", path+" sets "+req.annotation, 30*time.Second, func(kd *v1beta1.KluctlDeployment) bool {
			return kd.Annotations[req.annotation] != "" || strings.Contains(fmtJSON(kd.Status), `"`+req.status+`"`)
		})
	}
	// Viewers get KluctlDeployments without their args (which may hold
	// credentials); admins get them whole.
	const argMarker = "arg-marker-for-admins-only"
	e.kd("api-kd-args", "test", func(kd *v1beta1.KluctlDeployment) {
		kd.Spec.Suspend = true
		kd.Spec.Args = &runtime.RawExtension{Raw: []byte(`{"db_password":"` + argMarker + `"}`)}
	})
	hasArgsKD := func(msgs []map[string]any) bool {
		b, _ := json.Marshal(msgs)
		return strings.Contains(string(b), `"name":"api-kd-args"`)
	}
	if b, _ := json.Marshal(readEvents(t, base, viewer, hasArgsKD)); strings.Contains(string(b), argMarker) {
		t.Error("the viewer's events carry a KluctlDeployment's args")
	}
	if b, _ := json.Marshal(readEvents(t, base, admin, hasArgsKD)); !strings.Contains(string(b), argMarker) {
		t.Error("the admin's events lack the KluctlDeployment's args")
	}
	if code := post(t, base+"api/setSuspended", map[string]any{"cluster": p["cluster"], "name": "api-kd", "namespace": e.ns, "suspend": false}, viewer); code != http.StatusForbidden {
		t.Errorf("setSuspended as viewer: %d, want 403", code)
	}
	e.kd("api-kd2", "test", func(kd *v1beta1.KluctlDeployment) { kd.Spec.Suspend = true })
	p["name"] = "api-kd2"
	powerless, _ := e.webui("--in-cluster", "--in-cluster-context", e.c.Context(), "--controller-namespace", e.ns, "--auth-admin-rbac-user", "nobody-at-all")
	if code := post(t, powerless+"api/reconcileNow", p, session(t, powerless, "admin", adminPW)); code != http.StatusForbidden {
		t.Errorf("reconcileNow as an admin whose RBAC user may nothing: %d, want 403 from Kubernetes", code)
	}
	if kd := e.get("api-kd2"); kd.Annotations[v1beta1.KluctlRequestReconcileAnnotation] != "" || kd.Status.ReconcileRequestResult != nil {
		t.Error("the refused reconcile request was set")
	}

	// A forged cookie is no login.
	forged := &http.Cookie{Name: "auth-session", Value: strings.Replace(admin.Value, ".", "x.", 1)}
	if code, _ := httpGet(t, base+"auth/user", forged); code != http.StatusUnauthorized {
		t.Errorf("a forged session: %d, want 401", code)
	}
}

// readEvents reads /api/events until done holds for the messages so far.
func readEvents(t *testing.T, base string, c *http.Cookie, done func([]map[string]any) bool) []map[string]any {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	u := "ws" + strings.TrimPrefix(base, "http") + "api/events"
	h := http.Header{}
	h.Add("Cookie", c.String())
	conn, _, err := websocket.Dial(ctx, u, &websocket.DialOptions{HTTPHeader: h})
	if err != nil {
		t.Fatalf("dial %s: %v", u, err)
	}
	defer conn.CloseNow()
	conn.SetReadLimit(64 << 20)
	var all []map[string]any
	for {
		_, b, err := conn.Read(ctx)
		if err != nil {
			t.Fatalf("read events: %v (so far %d messages)", err, len(all))
		}
		var frame []map[string]any
		if err := json.Unmarshal(b, &frame); err != nil {
			t.Fatalf("an events frame is no JSON array: %v\n%.300s", err, b)
		}
		all = append(all, frame...)
		if done(all) {
			return all
		}
	}
}

func findType(msgs []map[string]any, typ, target string) map[string]any {
	var found map[string]any
	for _, m := range msgs {
		if m["type"] != typ {
			continue
		}
		s, _ := m["summary"].(map[string]any)
		tk, _ := s["targetKey"].(map[string]any)
		if tk["targetName"] == target {
			found = s
		}
	}
	return found
}

func findSummary(msgs []map[string]any, target, command string) map[string]any {
	var found map[string]any
	for _, m := range msgs {
		if m["type"] != "update_command_result_summary" {
			continue
		}
		s, _ := m["summary"].(map[string]any)
		tk, _ := s["targetKey"].(map[string]any)
		ci, _ := s["commandInfo"].(map[string]any)
		if tk["targetName"] == target && ci["command"] == command {
			found = s
		}
	}
	return found
}

func fmtJSON(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}
