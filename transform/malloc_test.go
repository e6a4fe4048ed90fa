package transform

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"testing"
	"time"
)

// TestTrimOnlyAfterWork: freed C memory is handed back at the first tick
// after a transformation, and an idle process does not walk its heap.
func TestTrimOnlyAfterWork(t *testing.T) {
	ticks := make(chan time.Time)
	trimmed := make(chan struct{}, 1)
	go trimLoop(ticks, func() { trimmed <- struct{}{} })
	defer close(ticks)

	worked.Store(false)
	ticks <- time.Time{}
	ticks <- time.Time{} // the loop has handled the first tick once it takes the second
	select {
	case <-trimmed:
		t.Fatal("trimmed with no work done")
	default:
	}

	c, err := Parse("w-10", "", ParseOptions{})
	must(t, err)
	if _, err := NewProcessor(Config{Workers: 1}).Process(context.Background(), encodeWith(t, quadrants(t, 40, 30), PNG), c, PNG); err != nil {
		t.Fatal(err)
	}
	ticks <- time.Time{}
	select {
	case <-trimmed:
	case <-time.After(5 * time.Second):
		t.Fatal("no trim after a transformation")
	}
	ticks <- time.Time{}
	ticks <- time.Time{}
	select {
	case <-trimmed:
		t.Fatal("trimmed again with no new work")
	default:
	}
}

// TestSourceSizedMemoryIsReused: a freed chunk the size of a photo's source
// is reused without faulting its pages in again (tune_malloc's fixed
// thresholds). With glibc's moving thresholds it is mapped and unmapped, or
// handed back with the heap's top, depending on past frees. A malloc_trim
// tick or another thread's allocation can fall between the two fills, so
// one clean attempt in three is enough.
func TestSourceSizedMemoryIsReused(t *testing.T) {
	const n = 8 << 20
	faults := make([]int, 0, 3)
	for range 3 {
		f := refaultedPages(n)
		if f < 0 {
			t.Fatal("malloc failed")
		}
		if f < n/4096/8 {
			return
		}
		faults = append(faults, f)
	}
	t.Errorf("refilling a freed %d-byte chunk faulted %v pages; want it kept and reused", n, faults)
}

// TestOperatorMallocSettingsWin: a threshold the operator sets, in the
// environment or in GLIBC_TUNABLES, replaces tune_malloc's (README). The
// test binary runs itself with each; a small threshold maps the refilled
// chunk afresh, so its pages fault in again.
func TestOperatorMallocSettingsWin(t *testing.T) {
	const n = 8 << 20
	if os.Getenv("ICDN_REFAULT_PROBE") != "" {
		fmt.Printf("refaulted %d\n", refaultedPages(n))
		return
	}
	for _, setting := range []string{
		"MALLOC_MMAP_THRESHOLD_=131072",
		"GLIBC_TUNABLES=glibc.malloc.trim_threshold=131072",
	} {
		cmd := exec.Command(os.Args[0], "-test.run=^TestOperatorMallocSettingsWin$", "-test.count=1")
		cmd.Env = append(os.Environ(), "ICDN_REFAULT_PROBE=1", setting)
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("%s: %v\n%s", setting, err, out)
		}
		var faults int
		if i := bytes.Index(out, []byte("refaulted ")); i < 0 {
			t.Fatalf("%s: no probe output:\n%s", setting, out)
		} else if _, err := fmt.Sscan(string(out[i+len("refaulted "):]), &faults); err != nil {
			t.Fatalf("%s: %v", setting, err)
		}
		if faults < n/4096/2 {
			t.Errorf("with %s, refilling a freed %d-byte chunk faulted %d pages; the operator's threshold was not used", setting, n, faults)
		}
	}
}
