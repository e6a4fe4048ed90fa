package resultstore

import "testing"

// TestDirStoreWithoutOpenat2: where the kernel or a seccomp filter has no
// openat2, reads go through os.Root and the store behaves the same.
func TestDirStoreWithoutOpenat2(t *testing.T) {
	d, err := NewDir(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	d.reads.off.Store(true)
	testStore(t, d)
}
