package caddymodule

import "testing"

// TestCopyBuffers: large bodies copy through large buffers, but only
// maxLargeCopies at a time; the rest, and small bodies, through small ones.
func TestCopyBuffers(t *testing.T) {
	var giveBack []func()
	for i := range maxLargeCopies + 2 {
		b, done := copyBuffer(200 << 20)
		giveBack = append(giveBack, done)
		want := largeCopy
		if i >= maxLargeCopies {
			want = smallCopy
		}
		if len(*b) != want {
			t.Fatalf("stream %d of 200 MB: buffer %d, want %d", i, len(*b), want)
		}
	}
	if b, done := copyBuffer(10 << 10); len(*b) != smallCopy {
		t.Errorf("10 KiB body: buffer %d, want %d", len(*b), smallCopy)
	} else {
		done()
	}
	for _, done := range giveBack {
		done()
	}
	if b, done := copyBuffer(-1); len(*b) != largeCopy {
		t.Errorf("unknown length after all were given back: buffer %d, want %d", len(*b), largeCopy)
	} else {
		done()
	}
	if len(largeInUse) != 0 {
		t.Errorf("%d large buffers still lent", len(largeInUse))
	}
}
