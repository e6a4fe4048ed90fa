package origin

import (
	"errors"
	"testing"
)

func TestFirstFound(t *testing.T) {
	missing := &Error{Kind: NotFound, Err: errors.New("missing")}
	denied := &Error{Kind: Denied, Err: errors.New("denied")}
	tests := []struct {
		name     string
		answers  []error // nil: found
		wantIdx  int
		wantKind Kind // 0: found
		asked    int
	}{
		{"first has it", []error{nil, nil}, 0, 0, 1},
		{"second has it", []error{missing, nil}, 1, 0, 2},
		{"refusal stops the search", []error{denied, nil}, 0, Denied, 1},
		{"all miss", []error{missing, missing}, 2, NotFound, 2},
		{"no candidates", nil, 0, NotFound, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			asked := 0
			v, i, err := FirstFound(tt.answers, func(e error) (int, error) {
				asked++
				if e != nil {
					return 0, e
				}
				return 42, nil
			})
			if i != tt.wantIdx || KindOf(err) != tt.wantKind || asked != tt.asked || (err == nil) != (v == 42) {
				t.Errorf("= %d, %d, %v after %d asks; want index %d kind %v after %d", v, i, err, asked, tt.wantIdx, tt.wantKind, tt.asked)
			}
		})
	}
}
