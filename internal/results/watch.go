package results

import (
	"context"
	"fmt"
	"sort"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/watch"

	"github.com/kluctl-go/kluctl/internal/result"
)

// Event is a stored result that appeared, changed or (Delete) was removed.
type Event[S any] struct {
	Summary S
	Delete  bool
}

// CommandResultEvent is an Event about a command result.
type CommandResultEvent = Event[result.CommandResultSummary]

// ValidateResultEvent is an Event about a validate result.
type ValidateResultEvent = Event[result.ValidateResultSummary]

// WatchCommandResultSummaries sends the stored command results matching f
// and then every change, until ctx ends (the channel is then closed).
func (s *Store) WatchCommandResultSummaries(ctx context.Context, f Filter) (<-chan CommandResultEvent, error) {
	return watchSummaries(ctx, s, commandKind, f)
}

// WatchValidateResultSummaries is WatchCommandResultSummaries for validate
// results.
func (s *Store) WatchValidateResultSummaries(ctx context.Context, f Filter) (<-chan ValidateResultEvent, error) {
	return watchSummaries(ctx, s, validateKind, f)
}

// retryDelay is the pause before a failed watch is started again.
const retryDelay = 2 * time.Second

func watchSummaries[S any](ctx context.Context, s *Store, k kind[S], f Filter) (<-chan Event[S], error) {
	w := &summaryWatch[S]{s: s, k: k, f: f, ns: metav1.NamespaceAll, known: map[string]S{}}
	rv, items, err := s.listWithVersion(ctx, k.label, w.ns)
	if apierrors.IsForbidden(err) {
		w.ns = s.opts.Namespace
		rv, items, err = s.listWithVersion(ctx, k.label, w.ns)
	}
	if err != nil {
		return nil, fmt.Errorf("watch results: %w", err)
	}
	w.ch = make(chan Event[S], 16)
	go func() {
		defer close(w.ch)
		if !w.sync(ctx, items) {
			return
		}
		w.run(ctx, rv)
	}()
	return w.ch, nil
}

// summaryWatch is one watch of the summaries of a kind. It remembers what
// it has sent, so that after a relist (the watch fell too far behind, or
// failed) it can report the results deleted meanwhile.
type summaryWatch[S any] struct {
	s  *Store
	k  kind[S]
	f  Filter
	ns string
	ch chan Event[S]
	// known are the summaries sent and not deleted, by Secret name.
	known map[string]S
}

func (w *summaryWatch[S]) decode(m metav1.PartialObjectMetadata) (S, bool) {
	sum, ab, ok := w.k.summary(m)
	return sum, ok && w.f.match(ab.project, ab.target)
}

func (w *summaryWatch[S]) send(ctx context.Context, name string, e Event[S]) bool {
	if e.Delete {
		delete(w.known, name)
	} else {
		w.known[name] = e.Summary
	}
	select {
	case w.ch <- e:
		return true
	case <-ctx.Done():
		return false
	}
}

// sync sends the listed results, oldest first, after deletions for those
// sent before that the list no longer holds.
func (w *summaryWatch[S]) sync(ctx context.Context, items []metav1.PartialObjectMetadata) bool {
	listed := make(map[string]bool, len(items))
	for _, m := range items {
		listed[m.Name] = true
	}
	gone := make([]string, 0)
	for name := range w.known {
		if !listed[name] {
			gone = append(gone, name)
		}
	}
	sort.Strings(gone)
	for _, name := range gone {
		if !w.send(ctx, name, Event[S]{Summary: w.known[name], Delete: true}) {
			return false
		}
	}
	oldestFirst(w.k, items)
	for _, m := range items {
		if sum, ok := w.decode(m); ok && !w.send(ctx, m.Name, Event[S]{Summary: sum}) {
			return false
		}
	}
	return true
}

// run watches from rv until ctx ends; an rv of "" lists again first.
func (w *summaryWatch[S]) run(ctx context.Context, rv string) {
	for ctx.Err() == nil {
		if rv == "" {
			newRV, items, err := w.s.listWithVersion(ctx, w.k.label, w.ns)
			if err != nil {
				if !sleep(ctx, retryDelay) {
					return
				}
				continue
			}
			if !w.sync(ctx, items) {
				return
			}
			rv = newRV
		}
		wi, err := w.s.c.Metadata.Resource(secretsGVR).Namespace(w.ns).Watch(ctx, metav1.ListOptions{LabelSelector: w.k.label, ResourceVersion: rv, AllowWatchBookmarks: true})
		if err != nil {
			if apierrors.IsGone(err) || apierrors.IsResourceExpired(err) {
				rv = ""
				continue
			}
			if !sleep(ctx, retryDelay) {
				return
			}
			continue
		}
		rv = w.drain(ctx, wi, rv)
	}
}

func sleep(ctx context.Context, d time.Duration) bool {
	select {
	case <-ctx.Done():
		return false
	case <-time.After(d):
		return true
	}
}

// drain forwards the events of one watch and returns the last resource
// version seen, or "" when the watch failed and must start from a list.
func (w *summaryWatch[S]) drain(ctx context.Context, wi watch.Interface, rv string) string {
	defer wi.Stop()
	for {
		select {
		case <-ctx.Done():
			return rv
		case ev, ok := <-wi.ResultChan():
			if !ok {
				return rv
			}
			m, isMeta := ev.Object.(*metav1.PartialObjectMetadata)
			if !isMeta {
				if ev.Type == watch.Error {
					return ""
				}
				continue
			}
			rv = m.ResourceVersion
			if ev.Type == watch.Bookmark {
				continue
			}
			sum, ok := w.decode(*m)
			if !ok {
				continue
			}
			if _, sent := w.known[m.Name]; ev.Type == watch.Deleted && !sent {
				continue
			}
			if !w.send(ctx, m.Name, Event[S]{Summary: sum, Delete: ev.Type == watch.Deleted}) {
				return rv
			}
		}
	}
}

func (s *Store) listWithVersion(ctx context.Context, label, ns string) (string, []metav1.PartialObjectMetadata, error) {
	l, err := s.c.Metadata.Resource(secretsGVR).Namespace(ns).List(ctx, metav1.ListOptions{LabelSelector: label})
	if err != nil {
		return "", nil, err
	}
	return l.ResourceVersion, l.Items, nil
}

// oldestFirst orders listed results as they were stored, so that a
// watcher sees them in the order later ones arrive in.
func oldestFirst[S any](k kind[S], items []metav1.PartialObjectMetadata) {
	type item struct {
		m metav1.PartialObjectMetadata
		e entry
	}
	l := make([]item, len(items))
	for i, m := range items {
		_, ab, _ := k.summary(m)
		l[i] = item{m, ab.entry(m)}
	}
	sort.SliceStable(l, func(i, j int) bool { return l[j].e.newerThan(l[i].e) })
	for i := range l {
		items[i] = l[i].m
	}
}
