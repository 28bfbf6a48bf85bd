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
	label := k.label
	decode := func(m metav1.PartialObjectMetadata) (S, bool) {
		sum, ab, ok := k.summary(m)
		return sum, ok && f.match(ab.project, ab.target)
	}
	ns := metav1.NamespaceAll
	rv, items, err := s.listWithVersion(ctx, label, ns)
	if apierrors.IsForbidden(err) {
		ns = s.opts.Namespace
		rv, items, err = s.listWithVersion(ctx, label, ns)
	}
	if err != nil {
		return nil, fmt.Errorf("watch results: %w", err)
	}
	oldestFirst(k, items)
	ch := make(chan Event[S], 16)
	send := func(e Event[S]) bool {
		select {
		case ch <- e:
			return true
		case <-ctx.Done():
			return false
		}
	}
	go func() {
		defer close(ch)
		for _, m := range items {
			if sum, ok := decode(m); ok && !send(Event[S]{Summary: sum}) {
				return
			}
		}
		for ctx.Err() == nil {
			w, err := s.c.Metadata.Resource(secretsGVR).Namespace(ns).Watch(ctx, metav1.ListOptions{LabelSelector: label, ResourceVersion: rv, AllowWatchBookmarks: true})
			if err != nil {
				if apierrors.IsGone(err) || apierrors.IsResourceExpired(err) {
					if rv, items, err = s.listWithVersion(ctx, label, ns); err == nil {
						oldestFirst(k, items)
						for _, m := range items {
							if sum, ok := decode(m); ok && !send(Event[S]{Summary: sum}) {
								return
							}
						}
						continue
					}
				}
				select {
				case <-ctx.Done():
					return
				case <-time.After(retryDelay):
				}
				continue
			}
			rv = drain(ctx, w, rv, decode, send)
		}
	}()
	return ch, nil
}

// drain forwards the events of one watch and returns the last resource
// version seen.
func drain[S any](ctx context.Context, w watch.Interface, rv string, decode func(metav1.PartialObjectMetadata) (S, bool), send func(Event[S]) bool) string {
	defer w.Stop()
	for {
		select {
		case <-ctx.Done():
			return rv
		case ev, ok := <-w.ResultChan():
			if !ok {
				return rv
			}
			m, isMeta := ev.Object.(*metav1.PartialObjectMetadata)
			if !isMeta {
				if ev.Type == watch.Error {
					return "" // start over from a fresh list
				}
				continue
			}
			rv = m.ResourceVersion
			if ev.Type == watch.Bookmark {
				continue
			}
			if sum, ok := decode(*m); ok && !send(Event[S]{Summary: sum, Delete: ev.Type == watch.Deleted}) {
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
