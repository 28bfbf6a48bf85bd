package readiness

import (
	"fmt"
	"reflect"
	"strconv"
	"strings"
	"time"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/client-go/kubernetes/scheme"

	"github.com/kluctl-go/kluctl/internal/k8s"
)

// annotationValidateIgnore turns off readiness checks for an object.
const annotationValidateIgnore = "kluctl.io/validate-ignore"

// statusGracePeriod is how long an object of a kind that should have a
// status may go without one before it is considered ready anyway (some
// controllers never write a status), as Kluctl does.
const statusGracePeriod = 15 * time.Second

// Status is the readiness of one object.
type Status struct {
	// Ready is true when the object is ready.
	Ready bool
	// Errors are terminal failures (a failed Job, a crashed container):
	// waiting longer will not help.
	Errors []string
	// Warnings explain why an object is not ready yet.
	Warnings []string
}

func (s *Status) notReady(msg string) {
	s.Ready = false
	s.Warnings = append(s.Warnings, msg)
}

func (s *Status) fail(msg string) {
	s.Ready = false
	s.Errors = append(s.Errors, msg)
}

// Check returns the readiness of obj at time now.
func Check(obj *unstructured.Unstructured, now time.Time) Status {
	st := Status{Ready: true}
	ann := obj.GetAnnotations()
	if b, err := strconv.ParseBool(ann[annotationValidateIgnore]); err == nil && b {
		return st
	}
	if v, ok := ann[k8s.AnnotationIsReady]; ok {
		if b, err := strconv.ParseBool(v); err == nil {
			if !b {
				st.notReady(k8s.AnnotationIsReady + " annotation is set to false")
			}
			return st
		}
	}
	status, ok := obj.Object["status"].(map[string]any)
	if !ok || status == nil {
		if hasStatusField(obj) && now.Sub(obj.GetCreationTimestamp().Time) < statusGracePeriod {
			st.notReady("no status available yet")
		}
		return st
	}
	if og, ok := intField(status, "observedGeneration"); ok && og != obj.GetGeneration() {
		st.notReady("waiting for reconciliation")
		return st
	}
	gvk := obj.GroupVersionKind()
	if check, ok := kindChecks[gvk.GroupKind().String()]; ok {
		check(obj, status, &st)
		return st
	}
	if c, ok := condition(status, "Ready"); ok && c.status != "True" {
		st.notReady(c.msg("not ready"))
	}
	return st
}

// hasStatusField reports whether the built-in Go type of obj has a Status
// field; unknown kinds (custom resources) report false.
func hasStatusField(obj *unstructured.Unstructured) bool {
	x, err := scheme.Scheme.New(obj.GroupVersionKind())
	if err != nil {
		return false
	}
	_, ok := reflect.Indirect(reflect.ValueOf(x)).Type().FieldByName("Status")
	return ok
}

type cond struct {
	status, reason, message string
}

func (c cond) msg(def string) string {
	if c.message == "" {
		return def
	}
	return c.message
}

func condition(status map[string]any, typ string) (cond, bool) {
	l, _ := status["conditions"].([]any)
	for _, e := range l {
		m, _ := e.(map[string]any)
		if m == nil || m["type"] != typ {
			continue
		}
		s := func(k string) string { v, _ := m[k].(string); return v }
		return cond{status: s("status"), reason: s("reason"), message: s("message")}, true
	}
	return cond{}, false
}

func intField(m map[string]any, path ...string) (int64, bool) {
	v, found, err := unstructured.NestedFieldNoCopy(m, path...)
	if err != nil || !found {
		return 0, false
	}
	switch x := v.(type) {
	case int64:
		return x, true
	case int:
		return int64(x), true
	case int32:
		return int64(x), true
	case float64:
		return int64(x), true
	}
	return 0, false
}

// intOrPercent resolves an int-or-percent value against total.
func intOrPercent(v any, total int64, def int64) int64 {
	switch x := v.(type) {
	case int64:
		return x
	case float64:
		return int64(x)
	case string:
		if p, ok := strings.CutSuffix(x, "%"); ok {
			if n, err := strconv.Atoi(p); err == nil {
				return int64(n) * total / 100
			}
		}
		if n, err := strconv.Atoi(x); err == nil {
			return int64(n)
		}
	}
	return def
}

func requireInt(status map[string]any, field string, st *Status) (int64, bool) {
	v, ok := intField(status, field)
	if !ok {
		st.notReady(fmt.Sprintf("%s field not in status or empty", field))
	}
	return v, ok
}
