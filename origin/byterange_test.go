package origin

import "testing"

func TestParseRangeResolve(t *testing.T) {
	tests := []struct {
		header string
		size   int64
		want   *Span // nil: header ignored (serve 200)
		ok     bool  // satisfiable
	}{
		{"bytes=0-0", 10, &Span{0, 0, 10}, true},
		{"bytes=2-5", 10, &Span{2, 5, 10}, true},
		{"bytes=2-", 10, &Span{2, 9, 10}, true},
		{"bytes=-3", 10, &Span{7, 9, 10}, true},
		{"bytes=-30", 10, &Span{0, 9, 10}, true},
		{"bytes=5-50", 10, &Span{5, 9, 10}, true},
		{"bytes=10-", 10, &Span{}, false},
		{"bytes=-5", 0, &Span{}, false},
		{"bytes=0-1,3-4", 10, nil, false},
		{"bytes=5-2", 10, nil, false},
		{"bytes=+1-2", 10, nil, false},
		{"bytes=-0", 10, nil, false},
		{"bytes= 1-2", 10, &Span{1, 2, 10}, true},
		{"items=1-2", 10, nil, false},
		{"bytes=a-b", 10, nil, false},
		{"bytes=", 10, nil, false},
		{"bytes=99999999999999999999-", 10, nil, false},
	}
	for _, tt := range tests {
		r := ParseRange(tt.header)
		if tt.want == nil {
			if r != nil {
				t.Errorf("ParseRange(%q) = %+v, want ignored", tt.header, r)
			}
			continue
		}
		if r == nil {
			t.Errorf("ParseRange(%q) = nil", tt.header)
			continue
		}
		got, ok := r.Resolve(tt.size)
		if ok != tt.ok || (ok && got != *tt.want) {
			t.Errorf("%q on %d bytes: %+v %v, want %+v %v", tt.header, tt.size, got, ok, *tt.want, tt.ok)
		}
	}
}

func TestParseContentRange(t *testing.T) {
	tests := []struct {
		in   string
		want Span
		ok   bool
	}{
		{"bytes 0-9/100", Span{Start: 0, End: 9, Total: 100}, true},
		{"bytes 90-99/100", Span{Start: 90, End: 99, Total: 100}, true},
		{"bytes 5-1/100", Span{}, false},
		{"bytes 0-100/100", Span{}, false},
		{"bytes */100", Span{}, false},
		{"items 0-1/2", Span{}, false},
		{"bytes -1-2/100", Span{}, false},
		{"", Span{}, false},
	}
	for _, tt := range tests {
		got, ok := ParseContentRange(tt.in)
		if ok != tt.ok || got != tt.want {
			t.Errorf("%q = %+v %v", tt.in, got, ok)
		}
	}
}
