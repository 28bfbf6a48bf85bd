package webui

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/go-git/go-git/v5"
	githttp "github.com/go-git/go-git/v5/plumbing/transport/http"

	"github.com/kluctl-go/kluctl/api/v1beta1"
	"github.com/kluctl-go/kluctl/e2e/browser"
)

// clone checks the demo out of the git server, as a user would, so that
// the CLI's results carry the same project as the KluctlDeployment's.
func (e *env) clone() string {
	dir := e.t.TempDir()
	if _, err := git.PlainClone(dir, false, &git.CloneOptions{URL: e.git.URL("demo"), Auth: &githttp.BasicAuth{Username: gitUser, Password: gitPassword}}); err != nil {
		e.t.Fatal(err)
	}
	return filepath.Join(dir, demoPath)
}

// login fills in the login form.
func login(b *browser.Browser, user, password string) {
	b.WaitFor("#login-form", 30*time.Second)
	u := b.Find("#login-username")
	u.Clear()
	u.SendKeys(user)
	p := b.Find("#login-password")
	p.Clear()
	p.SendKeys(password)
	b.Find("#login-submit").Click()
}

// resultIDs are the ids of the results a target card lists, in order.
func resultIDs(b *browser.Browser, card string) []string {
	var ids []string
	for _, el := range b.FindAll(card + " .result-link") {
		ids = append(ids, el.Attr("data-result-id"))
	}
	return ids
}

// TestWebUIBrowser is the story of the web UI in a real browser: logins,
// the overview of the demo's targets, a CLI deploy showing up live, the
// diff of a changed var, "deploy now", what a viewer may see, an expired
// session and the static build. Every view is photographed.
func TestWebUIBrowser(t *testing.T) {
	e := newEnv(t)
	ctxName := e.c.Context()
	e.kd("webui-test", "test")
	e.waitFor("webui-test", "the first deploy", 4*time.Minute, func(kd *v1beta1.KluctlDeployment) bool {
		return isReady(kd) && kd.Status.LastDeployResult != nil
	})
	base, _ := e.webui("--in-cluster", "--in-cluster-context", ctxName, "--controller-namespace", e.ns)
	adminPW, viewerPW := e.secret("webui-secret", "admin-password"), e.secret("webui-secret", "viewer-password")
	shots := screenshotDir(t)

	b := browser.Start(t)
	b.SetScreenshotDir(shots)
	b.Navigate(base)
	b.WaitFor("#login-form", 30*time.Second)
	b.Shot("01-login")

	// A wrong password is refused.
	login(b, "admin", "not-"+adminPW)
	b.WaitText("#login-error", "wrong username or password", 15*time.Second)
	b.Shot("02-login-wrong-password")
	if b.Has(".target-card") {
		t.Fatal("the overview shows after a wrong password")
	}

	// The admin sees the overview with the KluctlDeployment's target.
	login(b, "admin", adminPW)
	kdRow := fmt.Sprintf(`.kd-row[data-kd="%s/webui-test"]`, e.ns)
	b.WaitFor(kdRow, 30*time.Second)
	b.WaitText("#user-name", "admin (admin)", 10*time.Second)
	b.WaitFor(`.target-card[data-target="test"] .result-link[data-command="deploy"]`, 30*time.Second)
	b.WaitFor(kdRow+" .badge-ready", 30*time.Second)
	b.Shot("03-overview-admin")

	// A deploy through the CLI appears without reloading the page, in the
	// same project as the KluctlDeployment.
	b.Eval("window.__sameDocument = 'yes'")
	dir := e.clone()
	e.kluctl("deploy", "--project-dir", dir, "-t", "prod", "--context", ctxName, "--yes")
	prodCard := `.target-card[data-target="prod"]`
	b.WaitFor(prodCard+` .result-link[data-command="deploy"]`, time.Minute)
	if got := b.Eval("return window.__sameDocument"); got != "yes" {
		t.Fatalf("the page was reloaded (marker %v)", got)
	}
	if n := len(b.FindAll(".project-card")); n < 1 || !b.Has(`.project-card `+prodCard) {
		t.Fatal("the prod target has no project card")
	}
	projects := b.Eval(`return [...document.querySelectorAll('.project-card')].filter(p => p.querySelector('.target-card[data-target="prod"]') && p.querySelector('.target-card[data-target="test"]')).length`)
	if projects != float64(1) {
		t.Errorf("the CLI's prod and the KluctlDeployment's test targets are not in one project card (%v)", projects)
	}
	b.Shot("04-live-cli-deploy")

	// A changed var: env_type=local points the cart service at another
	// redis service; the result shows the change as a diff.
	before := resultIDs(b, prodCard)
	e.kluctl("deploy", "--project-dir", dir, "-t", "prod", "-a", "env_type=local", "--context", ctxName, "--yes", "--no-wait")
	var newID string
	for deadline := time.Now().Add(time.Minute); newID == ""; time.Sleep(200 * time.Millisecond) {
		for _, id := range resultIDs(b, prodCard) {
			if !slices.Contains(before, id) {
				newID = id
			}
		}
		if time.Now().After(deadline) {
			t.Fatal("the second CLI deploy did not appear")
		}
	}
	if first := resultIDs(b, prodCard)[0]; first != newID {
		t.Errorf("the newest result %s is not the first of the target (%s)", newID, first)
	}
	b.Find(fmt.Sprintf(`%s .result-link[data-result-id="%s"]`, prodCard, newID)).Click()
	b.WaitFor("#result-view", 20*time.Second)
	cart := `#changed-objects .changed-object[data-ref="Deployment/ms-demo-prod/cartservice"]`
	b.WaitText(cart+" pre.unified-diff", "cart-redis-master:6379", 20*time.Second)
	if add := b.Find(cart + " .diff-add").Text(); !strings.Contains(add, "cart-redis-master:6379") {
		t.Errorf("the added line of the diff: %q", add)
	}
	if del := b.Find(cart + " .diff-del").Text(); !strings.Contains(del, "cart-redis:6379") {
		t.Errorf("the removed line of the diff: %q", del)
	}
	b.Shot("05-result-diff")
	row := `#all-objects li.object-row[data-ref="Deployment/ms-demo-prod/cartservice"]`
	b.Find(row + ` button.show-object[data-object-type="applied"]`).Click()
	b.WaitText(row+" pre.object-manifest", "cart-redis-master:6379", 20*time.Second)
	b.Shot("06-object-manifest")

	// "Deploy now" as admin makes the controller deploy.
	b.Navigate(base + "#/")
	b.WaitFor(kdRow, 30*time.Second)
	b.Eval("window.confirm = () => true")
	b.Find(kdRow + ` button.action[data-action="deploy"]`).Click()
	kd := e.waitFor("webui-test", "the requested deploy", 3*time.Minute, func(kd *v1beta1.KluctlDeployment) bool {
		rr := kd.Status.DeployRequestResult
		return rr != nil && rr.EndTime != nil && rr.ResultId != ""
	})
	b.WaitFor(fmt.Sprintf(`.result-link[data-result-id="%s"]`, kd.Status.DeployRequestResult.ResultId), 30*time.Second)
	b.Shot("07-deploy-now")

	// The controller's log lines of that reconciliation.
	b.Find(fmt.Sprintf(`.result-link[data-result-id="%s"]`, kd.Status.DeployRequestResult.ResultId)).Click()
	b.WaitFor("#result-view a.logs-link", 20*time.Second).Click()
	b.WaitText("#log-lines", "Processing kluctl.io/request-deploy", 30*time.Second)
	if text := b.Find("#log-lines").Text(); !strings.Contains(text, "Reconciliation finished") {
		t.Errorf("the log lines of the reconciliation:\n%s", text)
	}
	b.Shot("07b-controller-logs")

	// Suspend and resume.
	b.Navigate(base + "#/")
	b.WaitFor(kdRow+` button.action[data-action="suspend"]`, 30*time.Second).Click()
	b.WaitFor(kdRow+" .badge-suspended", 30*time.Second)
	if !e.get("webui-test").Spec.Suspend {
		t.Error("spec.suspend is not set after suspend")
	}
	b.Shot("07c-suspended")
	b.Find(kdRow + ` button.action[data-action="resume"]`).Click()
	b.WaitGone(kdRow+" .badge-suspended", 30*time.Second)
	if e.get("webui-test").Spec.Suspend {
		t.Error("spec.suspend is still set after resume")
	}

	// A manual KluctlDeployment waits for approval; approving deploys it.
	e.kd("webui-local", "local", func(kd *v1beta1.KluctlDeployment) { kd.Spec.Manual = true })
	localRow := fmt.Sprintf(`.kd-row[data-kd="%s/webui-local"]`, e.ns)
	b.WaitFor(localRow+" .badge-approval", 2*time.Minute)
	b.Shot("07d-waiting-for-approval")
	if e.get("webui-local").Status.LastDeployResult != nil {
		t.Fatal("the manual deployment deployed before the approval")
	}
	b.Find(localRow + ` button.action[data-action="approve"]`).Click()
	e.waitFor("webui-local", "the approved deploy", 3*time.Minute, func(kd *v1beta1.KluctlDeployment) bool {
		return kd.Status.LastDeployResult != nil && isReady(kd)
	})
	b.WaitGone(localRow+" .badge-approval", 30*time.Second)

	// A validate result of the CLI shows in its view.
	e.kluctl("validate", "--project-dir", dir, "-t", "prod", "--context", ctxName)
	b.WaitFor(prodCard+" .validate-link", time.Minute).Click()
	b.WaitFor("#validate-view", 20*time.Second)
	b.Shot("07e-validate")

	// A viewer sees results but no actions and no Secret values.
	small := e.smallProject()
	e.kluctl("deploy", "--project-dir", small, "-t", "api", "--context", ctxName, "--yes")
	v := browser.Start(t)
	v.SetScreenshotDir(shots)
	v.Navigate(base)
	login(v, "viewer", viewerPW)
	v.WaitFor(kdRow, 30*time.Second)
	v.WaitText("#user-name", "viewer (viewer)", 10*time.Second)
	apiCard := `.target-card[data-target="api"]`
	v.WaitFor(apiCard+" .result-link", time.Minute)
	if n := len(v.FindAll("button.action")); n != 0 {
		t.Errorf("the viewer sees %d action buttons", n)
	}
	v.Shot("08-viewer-overview")
	v.Find(apiCard + " .result-link").Click()
	v.WaitFor("#result-view #all-objects", 20*time.Second)
	secretRow := fmt.Sprintf(`#all-objects li.object-row[data-ref="Secret/%s/api-secret"]`, e.ns)
	v.WaitFor(secretRow, 10*time.Second)
	if n := len(v.FindAll(secretRow + " button.show-object")); n != 0 {
		t.Errorf("the viewer has %d buttons to show the Secret", n)
	}
	cmRow := fmt.Sprintf(`#all-objects li.object-row[data-ref="ConfigMap/%s/api-cm"]`, e.ns)
	if got := len(v.FindAll(cmRow + ` button.show-object:not([data-object-type="rendered"])`)); got != 0 {
		t.Errorf("the viewer has %d buttons for remote or applied objects", got)
	}
	v.Find(cmRow + ` button.show-object[data-object-type="rendered"]`).Click()
	v.WaitText(cmRow+" pre.object-manifest", "blue", 20*time.Second)
	status := v.Eval(`return fetch('api/getCommandResultObject?' + new URLSearchParams({resultId: document.querySelector('#result-view').dataset.resultId, version: 'v1', kind: 'Secret', name: 'api-secret', namespace: arguments[0], objectType: 'rendered'})).then(r => r.status)`, e.ns)
	if status != float64(403) {
		t.Errorf("the viewer's request for the Secret answered %v, want 403", status)
	}
	if text, _ := v.Eval("return document.body.innerText").(string); strings.Contains(text, secretValue) {
		t.Error("the viewer's page shows the Secret's value")
	}
	v.Shot("09-viewer-result")

	// An expired session must log in again.
	short, _ := e.webui("--in-cluster", "--in-cluster-context", ctxName, "--controller-namespace", e.ns, "--auth-session-ttl", "4s")
	x := browser.Start(t)
	x.SetScreenshotDir(shots)
	x.Navigate(short)
	login(x, "admin", adminPW)
	x.WaitFor(kdRow, 30*time.Second)
	time.Sleep(5 * time.Second) // idle beyond the session's lifetime
	x.WaitFor("#login-form", 20*time.Second)
	x.Shot("10-session-expired")
	x.Navigate(short + "?again")
	x.WaitFor("#login-form", 20*time.Second)
	if x.Has(kdRow) {
		t.Error("an expired session still shows the overview")
	}

	// The static build loads from disk.
	site := filepath.Join(t.TempDir(), "site")
	e.kluctl("webui", "build", "--path", site, "--max-results", "2", "--context", ctxName)
	if _, err := os.Stat(filepath.Join(site, "staticdata", "summaries.js")); err != nil {
		t.Fatal(err)
	}
	b.Navigate("file://" + filepath.Join(site, "index.html"))
	b.WaitText("#live-status", "static build", 20*time.Second)
	b.WaitFor(prodCard+" .result-link", 20*time.Second)
	if b.Has("button.action") {
		t.Error("the static build has action buttons")
	}
	if n := len(b.FindAll(prodCard + " .result-link")); n != 2 {
		t.Errorf("the static build shows %d results of prod, want --max-results 2", n)
	}
	b.Shot("11-static-overview")
	b.Find(prodCard + " .result-link").Click()
	b.WaitText(cart+" pre.unified-diff", "cart-redis-master:6379", 20*time.Second)
	b.Find(row + ` button.show-object[data-object-type="applied"]`).Click()
	b.WaitText(row+" pre.object-manifest", "cart-redis-master:6379", 20*time.Second)
	b.Shot("12-static-result")
}
