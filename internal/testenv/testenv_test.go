package testenv

import (
	"os"
	"os/exec"
	"strings"
	"testing"
)

// TestMissingFailsWhenRequired runs a child test that looks for a program
// that does not exist: with RequiredEnv set it must fail, without it skip.
func TestMissingFailsWhenRequired(t *testing.T) {
	if os.Getenv("TESTENV_CHILD") == "1" {
		Program(t, "no-such-program-image-cdn")
		t.Fatal("Program returned for a missing program")
	}
	for _, tt := range []struct {
		required string
		wantFail bool
	}{{"1", true}, {"0", false}} {
		cmd := exec.Command(os.Args[0], "-test.run", "^TestMissingFailsWhenRequired$", "-test.v")
		cmd.Env = append(os.Environ(), "TESTENV_CHILD=1", RequiredEnv+"="+tt.required, "CI=")
		out, err := cmd.CombinedOutput()
		failed := err != nil
		if failed != tt.wantFail || (!tt.wantFail && !strings.Contains(string(out), "--- SKIP")) {
			t.Errorf("%s=%s: failed=%v, want %v\n%s", RequiredEnv, tt.required, failed, tt.wantFail, out)
		}
	}
}
