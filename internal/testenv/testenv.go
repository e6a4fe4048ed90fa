// Package testenv finds what integration tests need outside Go (programs,
// fonts, files of a dependency's module) and decides what a test does when
// one is missing. ./test.sh installs all of them and sets RequiredEnv, and CI
// runs ./test.sh, so there a missing tool fails the test: a skipped test
// proves nothing. Elsewhere (a developer's `go test` without the tool) the
// test is skipped with the reason.
package testenv

import (
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// RequiredEnv, set to 1 by ./test.sh, turns every missing tool into a failure.
const RequiredEnv = "IMAGE_CDN_TOOLS_REQUIRED"

// required reports whether a missing tool must fail the test.
func required() bool {
	return os.Getenv(RequiredEnv) == "1" || os.Getenv("CI") == "true"
}

// Missing fails the test (under ./test.sh or CI) or skips it, saying what
// is missing and how to get it.
func Missing(t testing.TB, format string, args ...any) {
	t.Helper()
	if required() {
		t.Fatalf("missing (./test.sh installs it): "+format, args...)
	}
	t.Skipf("skipped, missing (./test.sh installs it): "+format, args...)
}

// Program is the path of the first of names found on PATH or in
// $(go env GOPATH)/bin (where `go install` puts tools); Missing otherwise.
func Program(t testing.TB, names ...string) string {
	t.Helper()
	var dirs []string
	if gopath, err := exec.Command("go", "env", "GOPATH").Output(); err == nil {
		dirs = append(dirs, filepath.Join(strings.TrimSpace(string(gopath)), "bin"))
	}
	for _, name := range names {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
		for _, dir := range dirs {
			if p, err := exec.LookPath(filepath.Join(dir, name)); err == nil {
				return p
			}
		}
	}
	Missing(t, "the program %s", strings.Join(names, " or "))
	return ""
}

// File reads a file a package installs (a font, say); Missing when absent.
func File(t testing.TB, path, pkg string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		Missing(t, "%s (Debian package %s): %v", path, pkg, err)
	}
	return b
}

// ModuleFile reads a file of a Go module this one requires, from the module
// cache (go list resolves it), so tests can use a dependency's own test data
// without copying it here; Missing when the module is not downloaded.
func ModuleFile(t testing.TB, module, rel string) []byte {
	t.Helper()
	out, err := exec.Command("go", "list", "-m", "-f", "{{.Dir}}", module).Output()
	dir := strings.TrimSpace(string(out))
	if err != nil || dir == "" {
		Missing(t, "the module directory of %s: %v", module, err)
	}
	b, err := os.ReadFile(filepath.Join(dir, rel))
	if err != nil {
		Missing(t, "%s in %s: %v", rel, module, err)
	}
	return b
}

// FreePort returns a TCP port on 127.0.0.1 that was free a moment ago,
// for a server a test starts (tests listen on loopback only).
func FreePort(t testing.TB) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}
