// Package webui serves the Kluctl web UI: the KluctlDeployments and stored
// command results of one or more clusters, live over a WebSocket, with
// admin actions through the controller's request annotations. It answers
// the original's API paths with the same JSON shapes, so its clients keep
// working, and builds a static read-only copy of the same views.
//
// The server only presents what the engine stored: results come from the
// result store (internal/results), actions are the annotations the
// controller (internal/controller) handles.
package webui
