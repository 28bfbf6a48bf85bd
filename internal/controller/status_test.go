package controller

import (
	"context"
	"strings"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"
	"sigs.k8s.io/controller-runtime/pkg/client/interceptor"

	"github.com/kluctl-go/kluctl/api/v1alpha1"
	"github.com/kluctl-go/kluctl/api/v1beta1"
)

// fakeClient serves objs and, like the API server, refuses writes whose
// context has ended.
func fakeClient(t *testing.T, objs ...client.Object) client.WithWatch {
	t.Helper()
	s, err := Scheme()
	if err != nil {
		t.Fatal(err)
	}
	return fake.NewClientBuilder().WithScheme(s).WithObjects(objs...).WithStatusSubresource(objs...).
		WithInterceptorFuncs(interceptor.Funcs{
			Patch: func(ctx context.Context, c client.WithWatch, obj client.Object, patch client.Patch, opts ...client.PatchOption) error {
				if err := ctx.Err(); err != nil {
					return err
				}
				return c.Patch(ctx, obj, patch, opts...)
			},
			SubResourcePatch: func(ctx context.Context, c client.Client, sub string, obj client.Object, patch client.Patch, opts ...client.SubResourcePatchOption) error {
				if err := ctx.Err(); err != nil {
					return err
				}
				return c.SubResource(sub).Patch(ctx, obj, patch, opts...)
			},
		}).Build()
}

func testReconciler(c client.WithWatch) *Reconciler {
	return &Reconciler{client: c, apiReader: c, opts: Options{Name: "test"}, metrics: newMetrics()}
}

// TestStatusIsWrittenAfterTheTimeout: a deploy request whose deploy ran
// into spec.timeout still gets its end and the final Ready condition
// written, so that `kluctl gitops deploy` stops waiting and the status
// does not stay "Performing deploy".
func TestStatusIsWrittenAfterTheTimeout(t *testing.T) {
	kd := &v1beta1.KluctlDeployment{ObjectMeta: metav1.ObjectMeta{
		Name: "kd", Namespace: "ns", Annotations: map[string]string{v1beta1.KluctlRequestDeployAnnotation: "req-1"},
	}}
	c := fakeClient(t, kd)
	r := testReconciler(c)
	ctx, cancel := context.WithTimeout(context.Background(), time.Hour)
	var obj v1beta1.KluctlDeployment
	if err := c.Get(ctx, client.ObjectKeyFromObject(kd), &obj); err != nil {
		t.Fatal(err)
	}
	rc := r.newRun(ctx, &obj)
	if started, err := rc.startRequest(v1beta1.KluctlRequestDeployAnnotation); err != nil || !started {
		t.Fatalf("startRequest: %v %v", started, err)
	}
	rc.progress("Performing deploy")
	cancel() // spec.timeout passed during the deploy
	rc.finishRequest(v1beta1.KluctlRequestDeployAnnotation, "", ctx.Err())
	rc.ready(metav1.ConditionFalse, v1beta1.DeployFailedReason, "deploy failed")
	if err := rc.flushStatus(); err != nil {
		t.Fatalf("the final status write failed: %v", err)
	}

	var got v1beta1.KluctlDeployment
	if err := c.Get(context.Background(), client.ObjectKeyFromObject(kd), &got); err != nil {
		t.Fatal(err)
	}
	rr := got.Status.DeployRequestResult
	if rr == nil || rr.EndTime == nil || !strings.Contains(rr.CommandError, "context canceled") {
		t.Errorf("request result: %+v", rr)
	}
	if c := meta.FindStatusCondition(got.Status.Conditions, v1beta1.ReconcilingCondition); c != nil {
		t.Errorf("still reconciling: %s", c.Message)
	}
	if c := meta.FindStatusCondition(got.Status.Conditions, v1beta1.ReadyCondition); c == nil || c.Reason != v1beta1.DeployFailedReason {
		t.Errorf("ready: %+v", c)
	}
}

// TestFluxStatusIsWrittenAfterTheTimeout: the same for the flux API and
// KluctlMultiDeployments.
func TestFluxStatusIsWrittenAfterTheTimeout(t *testing.T) {
	fkd := &v1alpha1.KluctlDeployment{ObjectMeta: metav1.ObjectMeta{Name: "kd", Namespace: "ns"}}
	md := &v1alpha1.KluctlMultiDeployment{ObjectMeta: metav1.ObjectMeta{Name: "md", Namespace: "ns"}}
	c := fakeClient(t, fkd, md)
	r := testReconciler(c)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()

	fr := &fluxRun{r: r, ctx: ctx, fkd: fkd.DeepCopy(), base: fkd.DeepCopy()}
	fr.setReady(metav1.ConditionFalse, v1alpha1.DeployFailedReason, "timed out")
	if err := fr.flush(); err != nil {
		t.Errorf("flux status: %v", err)
	}
	mdNew := md.DeepCopy()
	setMultiReady(mdNew, metav1.ConditionFalse, v1alpha1.PrepareFailedReason, "timed out")
	if err := (&fluxMultiReconciler{r: r}).writeStatus(ctx, mdNew, md); err != nil {
		t.Errorf("multi deployment status: %v", err)
	}

	var gotF v1alpha1.KluctlDeployment
	if err := c.Get(context.Background(), client.ObjectKeyFromObject(fkd), &gotF); err != nil {
		t.Fatal(err)
	}
	if c := meta.FindStatusCondition(gotF.Status.Conditions, v1alpha1.ReadyCondition); c == nil || c.Reason != v1alpha1.DeployFailedReason {
		t.Errorf("flux ready: %+v", c)
	}
	var gotM v1alpha1.KluctlMultiDeployment
	if err := c.Get(context.Background(), client.ObjectKeyFromObject(md), &gotM); err != nil {
		t.Fatal(err)
	}
	if c := meta.FindStatusCondition(gotM.Status.Conditions, v1alpha1.ReadyCondition); c == nil || c.Reason != v1alpha1.PrepareFailedReason {
		t.Errorf("multi ready: %+v", c)
	}
}

// TestFinalizerIsRemovedAfterTheTimeout: a deletion that ran out of time
// still releases the object.
func TestFinalizerIsRemovedAfterTheTimeout(t *testing.T) {
	now := metav1.Now()
	kd := &v1beta1.KluctlDeployment{ObjectMeta: metav1.ObjectMeta{
		Name: "kd", Namespace: "ns", Finalizers: []string{v1beta1.KluctlDeploymentFinalizer}, DeletionTimestamp: &now,
	}}
	c := fakeClient(t, kd)
	r := testReconciler(c)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	var obj v1beta1.KluctlDeployment
	if err := c.Get(context.Background(), client.ObjectKeyFromObject(kd), &obj); err != nil {
		t.Fatal(err)
	}
	if _, err := r.finalize(ctx, &obj); err != nil {
		t.Fatalf("finalize: %v", err)
	}
	if err := c.Get(context.Background(), client.ObjectKeyFromObject(kd), &obj); err == nil {
		t.Errorf("the object is still there with finalizers %v", obj.Finalizers)
	}
}
