package caddymodule

import (
	"slices"
	"sync"
)

// live holds the image_cdn handlers of the running configuration (tenant
// handlers included): the admin purge and the on-demand TLS permission
// answer from it. A handler joins in Provision and leaves in Cleanup, so
// during a reload the old and the new configuration's handlers are both
// present until the old one is cleaned up; both are valid answers then.
var live = struct {
	sync.Mutex
	handlers []*Handler
}{}

func join(h *Handler) {
	live.Lock()
	defer live.Unlock()
	live.handlers = append(live.handlers, h)
}

func leave(h *Handler) {
	live.Lock()
	defer live.Unlock()
	live.handlers = slices.DeleteFunc(live.handlers, func(x *Handler) bool { return x == h })
}

// liveHandlers is a snapshot, safe to use without the lock.
func liveHandlers() []*Handler {
	live.Lock()
	defer live.Unlock()
	return slices.Clone(live.handlers)
}
