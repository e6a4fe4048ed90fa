package caddymodule

import (
	"fmt"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/caddyserver/caddy/v2"
	"github.com/caddyserver/caddy/v2/caddyconfig/caddyfile"
)

// TestStragglersServedAfterCleanup: on a reload, Caddy cleans the replaced
// config up (cancels its context, runs Cleanup) as soon as the new one
// runs, while the old server still finishes the requests it has (a
// reload's grace period). Those requests must still be answered in full:
// the file origin's folder and the file result storage stay usable.
func TestStragglersServedAfterCleanup(t *testing.T) {
	photos, stored := t.TempDir(), t.TempDir()
	if err := os.WriteFile(filepath.Join(photos, "a.jpg"), sample(t, "photos/sunset.jpg"), 0o644); err != nil {
		t.Fatal(err)
	}
	// A running Caddy for the context a config's modules get.
	startCaddy(t, "respond ok")

	ctx, cancel := caddy.NewContext(caddy.ActiveContext())
	defer cancel()
	var h Handler
	d := caddyfile.NewTestDispenser(fmt.Sprintf("image_cdn {\n\torigin file %s\n\tresult_storage file %s\n}", photos, stored))
	if err := h.UnmarshalCaddyfile(d); err != nil {
		t.Fatal(err)
	}
	if err := h.Provision(ctx); err != nil {
		t.Fatal(err)
	}
	serve := func(path string) *httptest.ResponseRecorder {
		t.Helper()
		rec := httptest.NewRecorder()
		req := httptest.NewRequest("GET", path, nil)
		if err := h.ServeHTTP(rec, req, nil); err != nil {
			t.Fatalf("GET %s: %v", path, err)
		}
		if rec.Code != http.StatusOK || !strings.HasPrefix(rec.Header().Get("Content-Type"), "image/") {
			t.Fatalf("GET %s = %d %s %s", path, rec.Code, rec.Header().Get("Content-Type"), rec.Header().Get("Ik-Error"))
		}
		return rec
	}
	serve("/tr:w-40/a.jpg")

	// What Caddy does to the replaced config. Cleanup drains the write
	// queue, so the variant above is in result storage now.
	cancel()
	if err := h.Cleanup(); err != nil {
		t.Fatal(err)
	}
	if files := countFiles(t, stored); files == 0 {
		t.Fatal("the first variant was not stored before Cleanup returned")
	}

	if cs := serve("/tr:w-40/a.jpg").Header().Get("Cache-Status"); !strings.Contains(cs, "hit") {
		t.Errorf("a straggler for the stored variant: Cache-Status %q, want a result-storage hit", cs)
	}
	if cs := serve("/tr:w-41/a.jpg").Header().Get("Cache-Status"); strings.Contains(cs, "hit") {
		t.Errorf("a new variant after Cleanup: Cache-Status %q, want it made from the file origin", cs)
	}
}

func countFiles(t *testing.T, dir string) int {
	t.Helper()
	n := 0
	err := filepath.WalkDir(dir, func(_ string, d fs.DirEntry, err error) error {
		if err == nil && d.Type().IsRegular() {
			n++
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return n
}
