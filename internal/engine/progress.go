package engine

import (
	"fmt"
	"sync/atomic"

	"github.com/kluctl-go/kluctl/internal/diff"
)

// emitter sends events to the caller's hook, masking sensitive values once
// they are known.
type emitter struct {
	hook   func(Event)
	masker atomic.Pointer[diff.Masker]
}

func newEmitter(hook func(Event)) *emitter {
	return &emitter{hook: hook}
}

func (e *emitter) setMasker(m *diff.Masker) { e.masker.Store(m) }

func (e *emitter) emit(level Level, format string, args ...any) {
	if e == nil || e.hook == nil {
		return
	}
	msg := fmt.Sprintf(format, args...)
	if m := e.masker.Load(); m != nil {
		msg = m.String(msg)
	}
	e.hook(Event{Level: level, Message: msg})
}

func (e *emitter) info(format string, args ...any)  { e.emit(LevelInfo, format, args...) }
func (e *emitter) warn(format string, args ...any)  { e.emit(LevelWarning, format, args...) }
func (e *emitter) debug(format string, args ...any) { e.emit(LevelDebug, format, args...) }
