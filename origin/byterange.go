package origin

import (
	"strconv"
	"strings"
)

// ByteRange is one range from a client's Range header, before it is resolved
// against an object's size. Exactly one of the three forms is set:
// "a-b" (Start, End), "a-" (Start, End = -1) and "-n" (Suffix = n).
type ByteRange struct {
	Start, End int64
	Suffix     int64
}

// ParseRange reads a Range header. It returns nil for anything other than a
// single well-formed bytes range: RFC 9110 lets a server ignore Range, and a
// full 200 is the safe answer to multi-range or malformed requests (it also
// keeps us from proxying the many-small-ranges amplification pattern).
func ParseRange(header string) *ByteRange {
	spec, ok := strings.CutPrefix(header, "bytes=")
	if !ok || strings.Contains(spec, ",") {
		return nil
	}
	first, last, ok := strings.Cut(strings.TrimSpace(spec), "-")
	if !ok {
		return nil
	}
	if first == "" {
		n, err := strconv.ParseInt(last, 10, 64)
		if err != nil || n <= 0 || !digits(last) {
			return nil
		}
		return &ByteRange{Suffix: n}
	}
	start, err := strconv.ParseInt(first, 10, 64)
	if err != nil || !digits(first) {
		return nil
	}
	if last == "" {
		return &ByteRange{Start: start, End: -1}
	}
	end, err := strconv.ParseInt(last, 10, 64)
	if err != nil || !digits(last) || end < start {
		return nil
	}
	return &ByteRange{Start: start, End: end}
}

// Resolve turns the range into a span of an object of the given size. It
// reports false when the range cannot be satisfied (416).
func (r ByteRange) Resolve(size int64) (Span, bool) {
	if r.Suffix > 0 {
		if size == 0 {
			return Span{}, false
		}
		n := min(r.Suffix, size)
		return Span{Start: size - n, End: size - 1, Total: size}, true
	}
	if r.Start >= size {
		return Span{}, false
	}
	end := r.End
	if end < 0 || end >= size {
		end = size - 1
	}
	return Span{Start: r.Start, End: end, Total: size}, true
}

// digits guards against the signs and spaces strconv would accept.
func digits(s string) bool {
	for _, c := range s {
		if c < '0' || c > '9' {
			return false
		}
	}
	return s != ""
}

// ParseContentRange reads a 206 answer's "bytes start-end/total"; it
// reports false for anything else, including the "*/total" of a 416.
func ParseContentRange(v string) (Span, bool) {
	spec, ok := strings.CutPrefix(v, "bytes ")
	if !ok {
		return Span{}, false
	}
	rng, total, ok := strings.Cut(spec, "/")
	if !ok {
		return Span{}, false
	}
	first, last, ok := strings.Cut(rng, "-")
	if !ok {
		return Span{}, false
	}
	var s Span
	var err1, err2, err3 error
	s.Start, err1 = strconv.ParseInt(first, 10, 64)
	s.End, err2 = strconv.ParseInt(last, 10, 64)
	s.Total, err3 = strconv.ParseInt(total, 10, 64)
	if err1 != nil || err2 != nil || err3 != nil || s.Start < 0 || s.Start > s.End || s.End >= s.Total {
		return Span{}, false
	}
	return s, true
}
