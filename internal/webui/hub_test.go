package webui

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/kluctl-go/kluctl/internal/result"
)

// fakeClock is a settable time for the now fields of hub and sessions.
type fakeClock struct{ t time.Time }

func (c *fakeClock) now() time.Time          { return c.t }
func (c *fakeClock) advance(d time.Duration) { c.t = c.t.Add(d) }

func newTestHub() (*hub, *fakeClock) {
	clock := &fakeClock{t: time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC)}
	h := newHub()
	h.now = clock.now
	return h, clock
}

func updateMsg(id string) Message { return Message{Type: updateCommandResultSummary, ID: id} }
func deleteMsg(id string) Message { return Message{Type: deleteCommandResultSummary, ID: id} }

// closed tells, without blocking, whether ch is closed.
func closed(ch <-chan struct{}) bool {
	select {
	case <-ch:
		return true
	default:
		return false
	}
}

func TestHubSince(t *testing.T) {
	tests := []struct {
		name string
		// ops run in order; "put:k", "remove:k" and "mark" (remember the
		// sequence number since() answers at that point).
		ops      []string
		fromMark bool
		want     []Message
	}{
		{
			name: "new client gets the current entries in put order",
			ops:  []string{"put:a", "put:b", "put:c"},
			want: []Message{updateMsg("a"), updateMsg("b"), updateMsg("c")},
		},
		{
			name: "new client gets no tombstones",
			ops:  []string{"put:a", "put:b", "remove:a"},
			want: []Message{updateMsg("b")},
		},
		{
			name: "an update moves the entry to the end",
			ops:  []string{"put:a", "put:b", "put:c", "put:a"},
			want: []Message{updateMsg("b"), updateMsg("c"), updateMsg("a")},
		},
		{
			name:     "client after a mark gets only what changed since",
			ops:      []string{"put:a", "put:b", "mark", "put:c", "put:a"},
			fromMark: true,
			want:     []Message{updateMsg("c"), updateMsg("a")},
		},
		{
			name:     "client after a mark gets the delete message",
			ops:      []string{"put:a", "put:b", "mark", "remove:a"},
			fromMark: true,
			want:     []Message{deleteMsg("a")},
		},
		{
			name:     "removing a key twice gives one delete message",
			ops:      []string{"put:a", "mark", "remove:a", "remove:a"},
			fromMark: true,
			want:     []Message{deleteMsg("a")},
		},
		{
			name:     "removing an unknown key gives nothing",
			ops:      []string{"put:a", "mark", "remove:zzz"},
			fromMark: true,
			want:     []Message{},
		},
		{
			name:     "a put after a remove revives the entry",
			ops:      []string{"put:a", "remove:a", "mark", "put:a"},
			fromMark: true,
			want:     []Message{updateMsg("a")},
		},
		{
			name: "nothing at all",
			want: []Message{},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h, _ := newTestHub()
			var mark uint64
			for _, op := range tc.ops {
				switch {
				case op == "mark":
					_, mark, _ = h.since(0, nil)
				case len(op) > 4 && op[:4] == "put:":
					h.put(op[4:], updateMsg(op[4:]), nil)
				case len(op) > 7 && op[:7] == "remove:":
					h.remove(op[7:], deleteMsg(op[7:]))
				default:
					t.Fatalf("bad op %q", op)
				}
			}
			from := uint64(0)
			if tc.fromMark {
				from = mark
			}
			got, _, _ := h.since(from, nil)
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("since(%d) messages (-want +got):\n%s", from, diff)
			}
		})
	}
}

func TestHubSequenceNumbers(t *testing.T) {
	h, _ := newTestHub()
	h.put("a", updateMsg("a"), nil)
	_, s1, _ := h.since(0, nil)
	h.put("b", updateMsg("b"), nil)
	_, s2, _ := h.since(0, nil)
	if s2 <= s1 {
		t.Fatalf("next sequence number after a put = %d, want more than %d", s2, s1)
	}
	// Asking again with the number just returned gives nothing.
	got, s3, _ := h.since(s2, nil)
	if diff := cmp.Diff([]Message{}, got); diff != "" {
		t.Errorf("since(next) right after since (-want +got):\n%s", diff)
	}
	if s3 != s2 {
		t.Errorf("since(next) without a change returned next %d, want %d", s3, s2)
	}
	// The update of a gets a new number: a client at s2 sees it.
	h.put("a", Message{Type: updateCommandResultSummary, ID: "a", ClusterID: "v2"}, nil)
	got, s4, _ := h.since(s2, nil)
	if diff := cmp.Diff([]Message{{Type: updateCommandResultSummary, ID: "a", ClusterID: "v2"}}, got); diff != "" {
		t.Errorf("since(%d) after the update of a (-want +got):\n%s", s2, diff)
	}
	if s4 <= s2 {
		t.Errorf("next sequence number after an update = %d, want more than %d", s4, s2)
	}
	if diff := cmp.Diff([]Message{updateMsg("b"), {Type: updateCommandResultSummary, ID: "a", ClusterID: "v2"}}, h.current()); diff != "" {
		t.Errorf("current() (-want +got):\n%s", diff)
	}
}

func TestHubTombstoneExpiry(t *testing.T) {
	tests := []struct {
		name    string
		advance time.Duration
		want    []Message
	}{
		{name: "right after the remove", advance: 0, want: []Message{deleteMsg("a")}},
		{name: "just before the TTL", advance: tombstoneTTL - time.Second, want: []Message{deleteMsg("a")}},
		{name: "at the TTL", advance: tombstoneTTL, want: []Message{deleteMsg("a")}},
		{name: "just after the TTL", advance: tombstoneTTL + time.Nanosecond, want: []Message{}},
		{name: "long after the TTL", advance: 24 * time.Hour, want: []Message{}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h, clock := newTestHub()
			h.put("a", updateMsg("a"), nil)
			h.put("b", updateMsg("b"), nil)
			_, mark, _ := h.since(0, nil)
			h.remove("a", deleteMsg("a"))
			clock.advance(tc.advance)
			got, _, _ := h.since(mark, nil)
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("since(%d) %v after the remove (-want +got):\n%s", mark, tc.advance, diff)
			}
			h.mu.Lock()
			_, kept := h.entries["a"]
			h.mu.Unlock()
			if wantKept := len(tc.want) != 0; kept != wantKept {
				t.Errorf("tombstone of a kept = %v, want %v", kept, wantKept)
			}
			if _, ok := h.entries["b"]; !ok {
				t.Errorf("the live entry b was expired with the tombstone")
			}
		})
	}
}

func TestHubChanged(t *testing.T) {
	tests := []struct {
		name        string
		change      func(h *hub)
		wantClosed  bool
		wantNewChan bool
	}{
		{name: "put", change: func(h *hub) { h.put("c", updateMsg("c"), nil) }, wantClosed: true},
		{name: "update", change: func(h *hub) { h.put("a", updateMsg("a"), nil) }, wantClosed: true},
		{name: "remove", change: func(h *hub) { h.remove("a", deleteMsg("a")) }, wantClosed: true},
		{name: "remove of an unknown key", change: func(h *hub) { h.remove("zzz", deleteMsg("zzz")) }, wantClosed: false},
		{name: "nothing", change: func(*hub) {}, wantClosed: false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h, _ := newTestHub()
			h.put("a", updateMsg("a"), nil)
			h.put("b", updateMsg("b"), nil)
			_, _, changed := h.since(0, nil)
			if closed(changed) {
				t.Fatalf("changed channel is closed before any change")
			}
			tc.change(h)
			if got := closed(changed); got != tc.wantClosed {
				t.Errorf("changed channel closed = %v, want %v", got, tc.wantClosed)
			}
			_, _, next := h.since(0, nil)
			if closed(next) {
				t.Errorf("the channel since returns after the change is already closed")
			}
		})
	}
}

func TestHubSinceFilter(t *testing.T) {
	h, _ := newTestHub()
	h.put("a", updateMsg("a"), &result.ProjectKey{RepoKey: "git://github.com/o/a"})
	h.put("b", updateMsg("b"), &result.ProjectKey{RepoKey: "git://github.com/o/b"})
	h.put("kd", updateMsg("kd"), nil)
	_, mark, _ := h.since(0, nil)
	h.remove("a", deleteMsg("a"))
	h.remove("b", deleteMsg("b"))

	filter := projectFilter("github.com/o/a", "")
	got, _, _ := h.since(0, filter)
	if diff := cmp.Diff([]Message{updateMsg("kd")}, got); diff != "" {
		t.Errorf("since(0) with a filter (-want +got):\n%s", diff)
	}
	// A tombstone keeps the project of the entry it replaces.
	got, _, _ = h.since(mark, filter)
	if diff := cmp.Diff([]Message{deleteMsg("a")}, got); diff != "" {
		t.Errorf("since(%d) with a filter (-want +got):\n%s", mark, diff)
	}
}

func TestProjectFilter(t *testing.T) {
	tests := []struct {
		name          string
		repo, subDir  string
		project       *result.ProjectKey
		wantNilFilter bool
		wantPass      bool
	}{
		{name: "no filter", repo: "", wantNilFilter: true},
		{name: "no project passes", repo: "github.com/o/r", project: nil, wantPass: true},
		{name: "same key", repo: "git://github.com/o/r", project: &result.ProjectKey{RepoKey: "git://github.com/o/r"}, wantPass: true},
		{name: "filter without git://", repo: "github.com/o/r", project: &result.ProjectKey{RepoKey: "git://github.com/o/r"}, wantPass: true},
		{name: "filter with .git", repo: "github.com/o/r.git", project: &result.ProjectKey{RepoKey: "git://github.com/o/r"}, wantPass: true},
		{name: "key with .git", repo: "git://github.com/o/r", project: &result.ProjectKey{RepoKey: "git://github.com/o/r.git"}, wantPass: true},
		{name: "key without git://", repo: "git://github.com/o/r.git", project: &result.ProjectKey{RepoKey: "github.com/o/r"}, wantPass: true},
		{name: "other repo", repo: "github.com/o/r", project: &result.ProjectKey{RepoKey: "git://github.com/o/other"}, wantPass: false},
		{name: "repo that only shares a prefix", repo: "github.com/o/r", project: &result.ProjectKey{RepoKey: "git://github.com/o/r2"}, wantPass: false},
		{name: "project outside git", repo: "github.com/o/r", project: &result.ProjectKey{RepoKey: ""}, wantPass: false},
		{name: "same subDir", repo: "github.com/o/r", subDir: "deploy/app", project: &result.ProjectKey{RepoKey: "git://github.com/o/r", SubDir: "deploy/app"}, wantPass: true},
		{name: "filter subDir, project at root", repo: "github.com/o/r", subDir: "deploy", project: &result.ProjectKey{RepoKey: "git://github.com/o/r"}, wantPass: false},
		{name: "filter at root, project in subDir", repo: "github.com/o/r", project: &result.ProjectKey{RepoKey: "git://github.com/o/r", SubDir: "deploy"}, wantPass: false},
		{name: "subDir is exact, not a prefix", repo: "github.com/o/r", subDir: "deploy", project: &result.ProjectKey{RepoKey: "git://github.com/o/r", SubDir: "deploy/app"}, wantPass: false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := projectFilter(tc.repo, tc.subDir)
			if tc.wantNilFilter {
				if f != nil {
					t.Fatalf("projectFilter(%q, %q) = a filter, want nil (everything)", tc.repo, tc.subDir)
				}
				return
			}
			if f == nil {
				t.Fatalf("projectFilter(%q, %q) = nil, want a filter", tc.repo, tc.subDir)
			}
			if got := f(tc.project); got != tc.wantPass {
				t.Errorf("projectFilter(%q, %q)(%+v) = %v, want %v", tc.repo, tc.subDir, tc.project, got, tc.wantPass)
			}
		})
	}
}

// Viewers get the viewer variant of an entry where there is one; admins
// always the full message.
func TestHubViewerMessages(t *testing.T) {
	h, _ := newTestHub()
	full := Message{Type: updateKluctlDeployment, ID: "kd", Deployment: map[string]any{"spec": map[string]any{"args": "SECRET"}}}
	redacted := Message{Type: updateKluctlDeployment, ID: "kd", Deployment: map[string]any{"spec": map[string]any{}}}
	h.putFor("kd-1", full, &redacted, nil)
	h.put("cr-1", updateMsg("r"), nil)
	admin, _, _ := h.sinceFor(0, nil, false)
	if diff := cmp.Diff([]Message{full, updateMsg("r")}, admin); diff != "" {
		t.Errorf("admin messages (-want +got):\n%s", diff)
	}
	viewer, _, _ := h.sinceFor(0, nil, true)
	if diff := cmp.Diff([]Message{redacted, updateMsg("r")}, viewer); diff != "" {
		t.Errorf("viewer messages (-want +got):\n%s", diff)
	}
}

// Changes expire old tombstones too, so a server nobody watches does not
// collect them.
func TestHubExpiresTombstonesOnChanges(t *testing.T) {
	h, clock := newTestHub()
	for _, k := range []string{"a", "b"} {
		h.put(k, updateMsg(k), nil)
		h.remove(k, deleteMsg(k))
	}
	clock.advance(tombstoneTTL + 2*time.Minute)
	h.put("c", updateMsg("c"), nil)
	h.mu.Lock()
	n := len(h.entries)
	h.mu.Unlock()
	if n != 1 {
		t.Errorf("the hub holds %d entries after the tombstones expired, want 1", n)
	}
}
