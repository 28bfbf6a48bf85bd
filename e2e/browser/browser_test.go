package browser_test

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/kluctl-go/kluctl/e2e/browser"
)

const page = `<!doctype html>
<html>
<head><title>Browser test</title></head>
<body>
<form id="form" onsubmit="return false">
  <input id="name" name="name" value="nobody">
  <button id="go" type="button">Greet</button>
</form>
<p id="out">waiting</p>
<ul id="list"><li class="item">one</li><li class="item">two</li></ul>
<div id="spinner">loading…</div>
<script>
document.getElementById("go").addEventListener("click", function () {
  var name = document.getElementById("name").value;
  // Later, so that WaitText has to wait.
  setTimeout(function () {
    document.getElementById("out").textContent = "Hello, " + name + "!";
    document.getElementById("spinner").remove();
  }, 300);
});
</script>
</body>
</html>`

func newServer(t *testing.T) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.SetCookie(w, &http.Cookie{Name: "session", Value: "abc123", Path: "/"})
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		_, _ = w.Write([]byte(page))
	}))
	t.Cleanup(srv.Close)
	return srv
}

func TestBrowser(t *testing.T) {
	srv := newServer(t)
	b := browser.Start(t)
	b.SetScreenshotDir(t.TempDir())

	b.Navigate(srv.URL + "/greet")
	if got := b.Title(); got != "Browser test" {
		t.Errorf("Title() = %q, want %q", got, "Browser test")
	}
	if got, want := b.URL(), srv.URL+"/greet"; got != want {
		t.Errorf("URL() = %q, want %q", got, want)
	}

	input := b.Find("#name")
	if got := input.Attr("name"); got != "name" {
		t.Errorf(`Attr("name") = %q, want "name"`, got)
	}
	if got := input.Attr("placeholder"); got != "" {
		t.Errorf(`Attr("placeholder") = %q, want ""`, got)
	}
	input.Clear()
	input.SendKeys("Ada")
	if got := input.Attr("value"); got != "nobody" {
		t.Errorf(`Attr("value") = %q, want the markup's "nobody"`, got)
	}
	if got := b.Eval("return arguments[0].value;", input); got != "Ada" {
		t.Errorf("typed value = %#v, want %q", got, "Ada")
	}

	if items := b.FindAll("#list .item"); len(items) != 2 || items[1].Text() != "two" {
		t.Errorf("FindAll(#list .item) = %d elements, want 2 with the second \"two\"", len(items))
	}
	if got := b.Find("#list").Find(".item").Text(); got != "one" {
		t.Errorf("Find within #list = %q, want %q", got, "one")
	}
	if b.Has("#missing") || !b.Has("#spinner") {
		t.Errorf("Has: #missing reported present or #spinner absent")
	}

	b.Find("#go").Click()
	out := b.WaitText("#out", "Hello, Ada!", 10*time.Second)
	if got := out.Text(); got != "Hello, Ada!" {
		t.Errorf("#out text = %q, want %q", got, "Hello, Ada!")
	}
	b.WaitGone("#spinner", 5*time.Second)
	b.WaitFor("#out", time.Second)

	if got := b.Eval("return arguments[0] + arguments[1].id;", 1, out); got != "1out" {
		t.Errorf("Eval = %#v, want %q", got, "1out")
	}
	if got := b.Eval("return 40 + 2;"); got != float64(42) {
		t.Errorf("Eval = %#v, want 42", got)
	}

	if v, ok := cookie(b.Cookies(), "session"); !ok || v != "abc123" {
		t.Errorf("cookie session = %q (present %v), want abc123", v, ok)
	}
	b.AddCookie(browser.Cookie{Name: "extra", Value: "x", Expiry: time.Now().Add(time.Hour).Unix()})
	if v, ok := cookie(b.Cookies(), "extra"); !ok || v != "x" {
		t.Errorf("added cookie extra = %q (present %v), want x", v, ok)
	}
	b.DeleteAllCookies()
	if n := len(b.Cookies()); n != 0 {
		t.Errorf("after DeleteAllCookies: %d cookies left", n)
	}

	shot := filepath.Join(t.TempDir(), "page.png")
	b.Screenshot(shot)
	checkPNG(t, shot)

	dir := filepath.Join(t.TempDir(), "shots")
	b.SetScreenshotDir(dir)
	b.Shot("greeted")
	checkPNG(t, filepath.Join(dir, "greeted.png"))
}

// TestSessionsAreIndependent starts two browsers, as a test with an admin
// and a viewer would: a cookie of one is not seen by the other.
func TestSessionsAreIndependent(t *testing.T) {
	srv := newServer(t)
	admin := browser.Start(t)
	viewer := browser.Start(t)

	admin.Navigate(srv.URL)
	admin.AddCookie(browser.Cookie{Name: "role", Value: "admin"})
	viewer.Navigate(srv.URL)
	if v, ok := cookie(viewer.Cookies(), "role"); ok {
		t.Errorf("viewer sees admin's cookie role=%q", v)
	}
	if v, _ := cookie(admin.Cookies(), "role"); v != "admin" {
		t.Errorf("admin cookie role = %q, want admin", v)
	}
}

func cookie(cookies []browser.Cookie, name string) (string, bool) {
	for _, c := range cookies {
		if c.Name == name {
			return c.Value, true
		}
	}
	return "", false
}

func checkPNG(t *testing.T, path string) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("reading the screenshot: %v", err)
	}
	if !bytes.HasPrefix(data, []byte("\x89PNG\r\n\x1a\n")) {
		t.Fatalf("%s is not a PNG (%d bytes, starts %q)", path, len(data), data[:min(8, len(data))])
	}
}

// TestReplacedElement: an element the page replaced after it was found is
// looked up again by its selector and position.
func TestReplacedElement(t *testing.T) {
	srv := newServer(t)
	b := browser.Start(t)
	b.Navigate(srv.URL)
	second := b.FindAll("#list .item")[1]
	b.Eval(`const l = document.getElementById("list");
l.replaceChildren(...["uno", "dos"].map((text) => {
  const li = document.createElement("li");
  li.className = "item";
  li.textContent = text;
  li.addEventListener("click", () => { document.getElementById("out").textContent = "clicked " + text; });
  return li;
}));`)
	if got := second.Text(); got != "dos" {
		t.Errorf("the replaced second item reads %q, want dos", got)
	}
	second.Click()
	b.WaitText("#out", "clicked dos", 5*time.Second)
}

// TestClickWaitsForWhatCoversTheElement: a notification over the element
// (fixed to the view, as the web UI's toasts) delays the click until it
// is gone, instead of failing it.
func TestClickWaitsForWhatCoversTheElement(t *testing.T) {
	srv := newServer(t)
	b := browser.Start(t)
	b.Navigate(srv.URL)
	b.Eval(`const btn = document.createElement("button");
btn.id = "covered";
btn.textContent = "covered";
btn.addEventListener("click", () => { document.getElementById("out").textContent = "clicked covered"; });
document.body.append(btn);
const veil = document.createElement("div");
veil.id = "veil";
veil.style.cssText = "position: fixed; inset: 0; background: rgba(0,0,0,0.2); z-index: 10";
document.body.append(veil);
setTimeout(() => veil.remove(), 1000);`)
	b.Find("#covered").Click()
	b.WaitText("#out", "clicked covered", 5*time.Second)
	if b.Has("#veil") {
		t.Error("the click went through while the veil still covered the button")
	}
}
