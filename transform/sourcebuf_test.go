package transform

import (
	"errors"
	"testing"

	"github.com/davidbyttow/govips/v2/vips"
)

// TestSourceBufferOutlivesOwner: libvips may keep a source after the
// owner lets go (an image still open); the memory must stay readable until
// libvips frees it, and be freed then.
func TestSourceBufferOutlivesOwner(t *testing.T) {
	src := encodeWith(t, quadrants(t, 64, 48), PNG)
	for _, tt := range []struct {
		name string
		pad  int // where in the buffer the slice handed to libvips starts
	}{
		{"whole buffer", 0},
		{"a slice starting inside it", 8},
	} {
		t.Run(tt.name, func(t *testing.T) {
			buf, err := NewSourceBuffer(int64(tt.pad + len(src)))
			must(t, err)
			copy(buf.Bytes()[tt.pad:], src)

			// Random access: the loader reads pixels only when asked.
			img, err := openImage(vips.ImageTypePNG, buf.Bytes()[tt.pad:], loadOptions{})
			must(t, err)
			buf.Release()
			// libvips's reference keeps the buffer allocated, and the
			// pixels decode correctly.
			if n := offHeap.count(); n != 1 {
				t.Fatalf("after the owner's release, %d buffers live; want 1 (libvips's)", n)
			}
			pixelNear(t, img, 5, 5, red, 10)
			img.Close()
			if n, m := offHeap.count(), pinnedSources(); n != 0 || m != 0 {
				t.Fatalf("after the image closed, %d buffers and %d sources held; want none", n, m)
			}
		})
	}
}

// TestSourceBufferSizes: an empty or negative size is refused, and one
// malloc cannot give (an exabyte) is Overloaded, not the end of the
// process (cgo's own C.malloc would end it).
func TestSourceBufferSizes(t *testing.T) {
	for _, n := range []int64{0, -1} {
		if b, err := NewSourceBuffer(n); err == nil {
			b.Release()
			t.Errorf("NewSourceBuffer(%d) succeeded", n)
		}
	}
	_, err := NewSourceBuffer(1 << 60)
	var te *Error
	if !errors.As(err, &te) || te.Kind != Overloaded {
		t.Errorf("NewSourceBuffer(1<<60) = %v, want an Overloaded *Error", err)
	}
}

func TestSourceBufferReleasedTwicePanics(t *testing.T) {
	b, err := NewSourceBuffer(16)
	must(t, err)
	b.Release()
	defer func() {
		if recover() == nil {
			t.Error("a second Release did not panic")
		}
	}()
	b.Release()
}
