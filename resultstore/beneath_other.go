//go:build !linux

package resultstore

import "errors"

// beneath is Linux's openat2 fast path (beneath_linux.go); elsewhere the
// store reads through its os.Root.
type beneath struct{}

func openBeneath(string) *beneath { return &beneath{} }

func (*beneath) close() {}

var errUnavailable = errors.New("openat2 unavailable")

func (*beneath) readFile(string) ([]byte, error) { return nil, errUnavailable }
