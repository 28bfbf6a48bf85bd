package controller

import (
	"errors"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	ctrlmetrics "sigs.k8s.io/controller-runtime/pkg/metrics"

	"github.com/kluctl-go/kluctl/api/v1beta1"
	"github.com/kluctl-go/kluctl/internal/result"
)

// metrics are the original's kluctldeployments_* metrics, served by the
// manager's metrics endpoint.
type metrics struct {
	lastObjectStatus, intervalSeconds, dryRun, prune, del *prometheus.GaugeVec
	changed, deleted, orphans, errs, warnings, sourceSpec *prometheus.GaugeVec
	deployDuration, validateDuration, deleteDuration      *prometheus.HistogramVec
	// Flux's gotk_* metrics, which the original exports too.
	gotkCondition, gotkSuspend *prometheus.GaugeVec
	gotkDuration               *prometheus.HistogramVec
}

// gotkKind is the kind label of the gotk_* metrics.
const gotkKind = "KluctlDeployment"

const subsystem = "kluctldeployments"

func gauge(name, help string, labels ...string) *prometheus.GaugeVec {
	return prometheus.NewGaugeVec(prometheus.GaugeOpts{Subsystem: subsystem, Name: name, Help: help}, labels)
}

func histogram(name, help string, labels ...string) *prometheus.HistogramVec {
	return prometheus.NewHistogramVec(prometheus.HistogramOpts{Subsystem: subsystem, Name: name, Help: help}, labels)
}

// newMetrics creates the metrics and registers them with the manager's
// registry; a second controller in the same process shares the first
// one's collectors.
func newMetrics() *metrics {
	nn := []string{"namespace", "name"}
	m := &metrics{
		lastObjectStatus: gauge("last_object_status", "Last object status of a single deployment. (0 = failure, 1 = success)", nn...),
		intervalSeconds:  gauge("deployment_interval_seconds", "The configured deployment interval of a single deployment.", nn...),
		dryRun:           gauge("dry_run_enabled", "Is dry-run enabled for a single deployment.", nn...),
		prune:            gauge("prune_enabled", "Is pruning enabled for a single deployment.", nn...),
		del:              gauge("delete_enabled", "Is deletion enabled for a single deployment.", nn...),
		changed:          gauge("number_of_changed_objects", "How many objects have been changed by a single project.", nn...),
		deleted:          gauge("number_of_deleted_objects", "How many things has been deleted by a single project.", nn...),
		orphans:          gauge("number_of_orphan_objects", "How many orphans are related to a single project.", nn...),
		errs:             gauge("number_of_errors", "How many errors are related to a single project.", "namespace", "name", "action"),
		warnings:         gauge("number_of_warnings", "How many warnings are related to a single project.", "namespace", "name", "action"),
		sourceSpec:       gauge("source_spec", "The configured source spec of a single deployment.", "namespace", "name", "url", "path", "ref"),
		deployDuration:   histogram("deployment_duration_seconds", "How long a single deployment takes in seconds.", "namespace", "name", "mode"),
		validateDuration: histogram("validate_duration_seconds", "How long a single validate takes in seconds.", nn...),
		deleteDuration:   histogram("delete_duration_seconds", "How long a single delete takes in seconds.", nn...),
		gotkCondition: prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "gotk_reconcile_condition", Help: "The current condition status of a GitOps Toolkit resource reconciliation."},
			[]string{"kind", "name", "namespace", "type", "status"}),
		gotkSuspend: prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "gotk_suspend_status", Help: "The current suspend status of a GitOps Toolkit resource."},
			[]string{"kind", "name", "namespace"}),
		gotkDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "gotk_reconcile_duration_seconds", Help: "The duration in seconds of a GitOps Toolkit resource reconciliation.",
			Buckets: prometheus.ExponentialBuckets(10e-3, 10, 5)}, []string{"kind", "name", "namespace"}),
	}
	register := func(c prometheus.Collector) prometheus.Collector {
		if err := ctrlmetrics.Registry.Register(c); err != nil {
			var are prometheus.AlreadyRegisteredError
			if errors.As(err, &are) {
				return are.ExistingCollector
			}
		}
		return c
	}
	for _, g := range []**prometheus.GaugeVec{&m.lastObjectStatus, &m.intervalSeconds, &m.dryRun, &m.prune, &m.del, &m.changed, &m.deleted, &m.orphans, &m.errs, &m.warnings, &m.sourceSpec, &m.gotkCondition, &m.gotkSuspend} {
		*g = register(*g).(*prometheus.GaugeVec)
	}
	for _, h := range []**prometheus.HistogramVec{&m.deployDuration, &m.validateDuration, &m.deleteDuration, &m.gotkDuration} {
		*h = register(*h).(*prometheus.HistogramVec)
	}
	return m
}

// spec exports the configuration of kd.
func (m *metrics) spec(kd *v1beta1.KluctlDeployment) {
	ns, name := kd.Namespace, kd.Name
	interval := kd.Spec.Interval.Duration
	if kd.Spec.DeployInterval != nil {
		interval = kd.Spec.DeployInterval.Duration.Duration
	}
	m.intervalSeconds.WithLabelValues(ns, name).Set(interval.Seconds())
	m.dryRun.WithLabelValues(ns, name).Set(b2f(kd.Spec.DryRun))
	m.prune.WithLabelValues(ns, name).Set(b2f(kd.Spec.Prune))
	m.del.WithLabelValues(ns, name).Set(b2f(kd.Spec.Delete))
	if src, err := sourceOf(kd); err == nil {
		// One series per deployment: a changed source replaces the old.
		m.sourceSpec.DeletePartialMatch(prometheus.Labels{"namespace": ns, "name": name})
		m.sourceSpec.WithLabelValues(ns, name, src.url, src.path, src.ref.String()).Set(0)
	}
}

// command exports the counts of a command's summary.
func (m *metrics) command(kd *v1beta1.KluctlDeployment, sum *result.CommandResultSummary, action string) {
	ns, name := kd.Namespace, kd.Name
	m.changed.WithLabelValues(ns, name).Set(float64(sum.ChangedObjects))
	m.deleted.WithLabelValues(ns, name).Set(float64(sum.DeletedObjects))
	m.orphans.WithLabelValues(ns, name).Set(float64(sum.OrphanObjects))
	m.errs.WithLabelValues(ns, name, action).Set(float64(len(sum.Errors)))
	m.warnings.WithLabelValues(ns, name, action).Set(float64(len(sum.Warnings)))
}

// reconciled records the gotk_* metrics of a finished reconcile: the
// Ready condition's status (1 for it, 0 for the others), suspension and
// duration.
func (m *metrics) reconciled(kd *v1beta1.KluctlDeployment, d time.Duration) {
	m.gotk(kd.Namespace, kd.Name, kd.Status.Conditions, kd.Spec.Suspend, d)
}

// gotk records the gotk_* metrics of a KluctlDeployment of either API
// (Flux labels them by kind, name and namespace only); d 0 records no
// duration (a suspended object).
func (m *metrics) gotk(namespace, name string, conds []metav1.Condition, suspended bool, d time.Duration) {
	status := string(metav1.ConditionUnknown)
	if c := meta.FindStatusCondition(conds, v1beta1.ReadyCondition); c != nil {
		status = string(c.Status)
	}
	for _, s := range []string{string(metav1.ConditionTrue), string(metav1.ConditionFalse), string(metav1.ConditionUnknown), "Deleted"} {
		m.gotkCondition.WithLabelValues(gotkKind, name, namespace, v1beta1.ReadyCondition, s).Set(b2f(s == status))
	}
	m.gotkSuspend.WithLabelValues(gotkKind, name, namespace).Set(b2f(suspended))
	if d > 0 {
		m.gotkDuration.WithLabelValues(gotkKind, name, namespace).Observe(d.Seconds())
	}
}

// forget drops the series of a deleted KluctlDeployment, so that a long
// running controller does not keep them.
func (m *metrics) forget(kd *v1beta1.KluctlDeployment) {
	m.forgetName(kd.Namespace, kd.Name)
}

// forgetName drops every series of the KluctlDeployment namespace/name.
func (m *metrics) forgetName(namespace, name string) {
	l := prometheus.Labels{"namespace": namespace, "name": name}
	for _, g := range []*prometheus.GaugeVec{m.lastObjectStatus, m.intervalSeconds, m.dryRun, m.prune, m.del, m.changed, m.deleted, m.orphans, m.errs, m.warnings, m.sourceSpec, m.gotkCondition, m.gotkSuspend} {
		g.DeletePartialMatch(l)
	}
	for _, h := range []*prometheus.HistogramVec{m.deployDuration, m.validateDuration, m.deleteDuration, m.gotkDuration} {
		h.DeletePartialMatch(l)
	}
}

func b2f(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

func since(t time.Time) float64 { return time.Since(t).Seconds() }
