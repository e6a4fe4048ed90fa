package transform

import (
	"os"
	"regexp"
	"testing"
)

// TestReferenceExamplesParse: every example chain in the transformation
// reference parses.
func TestReferenceExamplesParse(t *testing.T) {
	doc, err := os.ReadFile("../docs/transformations.md")
	if err != nil {
		t.Fatal(err)
	}
	examples := regexp.MustCompile("(?:tr:|\\?tr=)([^/\\s`|]+)").FindAllStringSubmatch(string(doc), -1)
	if len(examples) < 40 {
		t.Fatalf("found %d examples", len(examples))
	}
	for _, m := range examples {
		chain := m[1]
		if chain == "<chain>" {
			continue
		}
		if _, err := Parse(chain, "", ParseOptions{Named: map[string]string{"name": "w-1"}}); err != nil {
			t.Errorf("example %q: %v", chain, err)
		}
	}
}
