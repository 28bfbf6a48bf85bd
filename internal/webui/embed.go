package webui

import "embed"

// uiFS holds the UI: plain HTML, CSS and JavaScript, no build step.
//
//go:embed ui
var uiFS embed.FS
