package webui

import (
	"sort"
	"sync"
	"time"

	"github.com/kluctl-go/kluctl/internal/result"
)

// Message is one event of /api/events, in the original's shape.
type Message struct {
	Type       string `json:"type"`
	Summary    any    `json:"summary,omitempty"`
	ID         string `json:"id,omitempty"`
	Deployment any    `json:"deployment,omitempty"`
	ClusterID  string `json:"clusterId,omitempty"`
}

// Event types of /api/events.
const (
	updateCommandResultSummary  = "update_command_result_summary"
	deleteCommandResultSummary  = "delete_command_result_summary"
	updateValidateResultSummary = "update_validate_result_summary"
	deleteValidateResultSummary = "delete_validate_result_summary"
	updateKluctlDeployment      = "update_kluctl_deployment"
	deleteKluctlDeployment      = "delete_kluctl_deployment"
)

// tombstoneTTL is how long a deletion is replayed to clients that connect
// (or reconnect) after it happened.
const tombstoneTTL = 10 * time.Minute

type entry struct {
	seq uint64
	msg Message
	// forViewer is what viewers get instead of msg; nil when they may see
	// msg.
	forViewer *Message
	project   *result.ProjectKey
	deleted   time.Time
}

// hub is the current state as a log of messages: one entry per result or
// KluctlDeployment, moved to the end with a new sequence number when it
// changes. A client asks for everything after the last number it saw. It
// holds only the current state plus deletions of the last tombstoneTTL.
type hub struct {
	mu      sync.Mutex
	seq     uint64
	entries map[string]*entry
	changed chan struct{}
	now     func() time.Time
	// expired is when tombstones were last expired.
	expired time.Time
}

func newHub() *hub {
	return &hub{entries: map[string]*entry{}, changed: make(chan struct{}), now: time.Now}
}

// put records the current state of key, which viewers may see.
func (h *hub) put(key string, msg Message, project *result.ProjectKey) {
	h.putFor(key, msg, nil, project)
}

// putFor records the current state of key; viewers get forViewer
// instead, unless it is nil.
func (h *hub) putFor(key string, msg Message, forViewer *Message, project *result.ProjectKey) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.seq++
	h.entries[key] = &entry{seq: h.seq, msg: msg, forViewer: forViewer, project: project}
	h.expireLocked(false)
	h.notifyLocked()
}

// remove records that key is gone.
func (h *hub) remove(key string, msg Message) {
	h.mu.Lock()
	defer h.mu.Unlock()
	old, ok := h.entries[key]
	if !ok || !old.deleted.IsZero() {
		return
	}
	h.seq++
	h.entries[key] = &entry{seq: h.seq, msg: msg, project: old.project, deleted: h.now()}
	h.expireLocked(false)
	h.notifyLocked()
}

func (h *hub) notifyLocked() {
	close(h.changed)
	h.changed = make(chan struct{})
}

// since returns the messages after seq that pass filter, in order, the
// sequence number to ask for next, and a channel closed at the next change.
func (h *hub) since(seq uint64, filter func(*result.ProjectKey) bool) ([]Message, uint64, <-chan struct{}) {
	return h.sinceFor(seq, filter, false)
}

// sinceFor is since, with the messages meant for viewers when viewer is
// set.
func (h *hub) sinceFor(seq uint64, filter func(*result.ProjectKey) bool, viewer bool) ([]Message, uint64, <-chan struct{}) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.expireLocked(true)
	var l []*entry
	for _, e := range h.entries {
		if e.seq > seq && (filter == nil || filter(e.project)) {
			l = append(l, e)
		}
	}
	sort.Slice(l, func(i, j int) bool { return l[i].seq < l[j].seq })
	msgs := make([]Message, 0, len(l))
	for _, e := range l {
		if seq == 0 && !e.deleted.IsZero() {
			continue // a new client has nothing to delete
		}
		if viewer && e.forViewer != nil {
			msgs = append(msgs, *e.forViewer)
			continue
		}
		msgs = append(msgs, e.msg)
	}
	return msgs, h.seq, h.changed
}

// current returns the messages of everything that exists, in order.
func (h *hub) current() []Message {
	msgs, _, _ := h.since(0, nil)
	return msgs
}

// expireLocked drops the tombstones older than tombstoneTTL; unless
// always, at most once a minute (changes call it, and a server nobody
// looks at must not collect tombstones forever).
func (h *hub) expireLocked(always bool) {
	now := h.now()
	if !always && now.Sub(h.expired) < time.Minute {
		return
	}
	h.expired = now
	cut := now.Add(-tombstoneTTL)
	for k, e := range h.entries {
		if !e.deleted.IsZero() && e.deleted.Before(cut) {
			delete(h.entries, k)
		}
	}
}
