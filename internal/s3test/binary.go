package s3test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"
)

// VersityGWModule is the exact module version the harness installs when no
// versitygw binary is found.
const VersityGWModule = "github.com/versity/versitygw/cmd/versitygw@v1.8.0"

var (
	binOnce sync.Once
	binPath string
	binErr  error
)

// Binary returns the path of the versitygw executable, installing it with
// `go install` when it cannot be found. Lookup order: $VERSITYGW, PATH,
// $(go env GOBIN), $(go env GOPATH)/bin. The result is memoised per process;
// concurrent test binaries serialise the install with a file lock.
func Binary() (string, error) {
	binOnce.Do(func() { binPath, binErr = findOrInstall() })
	return binPath, binErr
}

func findOrInstall() (string, error) {
	if p := os.Getenv("VERSITYGW"); p != "" {
		if isExecutable(p) {
			return p, nil
		}
		return "", fmt.Errorf("s3test: $VERSITYGW=%q is not an executable file", p)
	}
	if p, err := exec.LookPath("versitygw"); err == nil {
		return p, nil
	}
	dir, err := goBinDir()
	if err != nil {
		return "", err
	}
	target := filepath.Join(dir, "versitygw")
	if isExecutable(target) {
		return target, nil
	}

	// Serialise installs across test processes (go test ./... runs packages
	// in parallel). After acquiring the lock, re-check: another process may
	// have finished the install while we waited.
	unlock, err := lockFile(filepath.Join(os.TempDir(), "image_cdn-s3test-versitygw-install.lock"))
	if err != nil {
		return "", err
	}
	defer unlock()
	if isExecutable(target) {
		return target, nil
	}

	fmt.Fprintf(os.Stderr, "s3test: versitygw not found; running `go install %s` (takes about a minute)...\n", VersityGWModule)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "go", "install", VersityGWModule)
	cmd.Dir = os.TempDir() // outside any module: install ignores our go.mod
	cmd.Env = append(os.Environ(), "GOWORK=off", "GOBIN="+dir)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("s3test: versitygw is required for integration tests and could not be installed "+
			"(set $VERSITYGW or run `go install %s`): %v\n%s", VersityGWModule, err, out.String())
	}
	if !isExecutable(target) {
		return "", fmt.Errorf("s3test: go install succeeded but %s does not exist", target)
	}
	fmt.Fprintf(os.Stderr, "s3test: installed %s\n", target)
	return target, nil
}

func goBinDir() (string, error) {
	out, err := exec.Command("go", "env", "GOBIN", "GOPATH").Output()
	if err != nil {
		return "", fmt.Errorf("s3test: versitygw not found ($VERSITYGW, PATH) and `go env` failed: %v", err)
	}
	lines := strings.Split(strings.TrimRight(string(out), "\n"), "\n")
	if len(lines) >= 1 && strings.TrimSpace(lines[0]) != "" {
		return strings.TrimSpace(lines[0]), nil
	}
	if len(lines) >= 2 {
		gopath := strings.TrimSpace(lines[1])
		if first, _, _ := strings.Cut(gopath, string(os.PathListSeparator)); first != "" {
			return filepath.Join(first, "bin"), nil
		}
	}
	return "", errors.New("s3test: versitygw not found and GOPATH is empty")
}

func isExecutable(p string) bool {
	st, err := os.Stat(p)
	return err == nil && st.Mode().IsRegular() && st.Mode()&0o111 != 0
}

func lockFile(path string) (func(), error) {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_RDWR, 0o666)
	if err != nil {
		return nil, fmt.Errorf("s3test: open install lock: %w", err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX); err != nil {
		f.Close()
		return nil, fmt.Errorf("s3test: lock %s: %w", path, err)
	}
	return func() {
		_ = syscall.Flock(int(f.Fd()), syscall.LOCK_UN)
		f.Close()
	}, nil
}
