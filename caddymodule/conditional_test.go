package caddymodule

import (
	"net/http"
	"net/http/httptest"
	"testing"
	"time"
)

// condRequest builds a request with headers given as name, value pairs.
func condRequest(method string, kv ...string) *http.Request {
	r := httptest.NewRequest(method, "/x.jpg", nil)
	for i := 0; i+1 < len(kv); i += 2 {
		r.Header.Set(kv[i], kv[i+1])
	}
	return r
}

func TestEvaluate(t *testing.T) {
	const etag = `"abc"`
	mod := time.Date(2026, 11, 20, 10, 30, 15, 500e6, time.UTC) // sub-second part: HTTP dates have none
	at := mod.Truncate(time.Second).Format(http.TimeFormat)
	before := mod.Add(-time.Hour).Format(http.TimeFormat)
	after := mod.Add(time.Hour).Format(http.TimeFormat)
	for _, tt := range []struct {
		name string
		r    *http.Request
		etag string
		want precondition
	}{
		{"no conditions", condRequest("GET"), etag, proceed},
		{"If-None-Match matches", condRequest("GET", "If-None-Match", etag), etag, notModified},
		{"If-None-Match weak matches weakly", condRequest("GET", "If-None-Match", `W/"abc"`), etag, notModified},
		{"If-None-Match in a list", condRequest("GET", "If-None-Match", `"x", "abc"`), etag, notModified},
		{"If-None-Match star", condRequest("GET", "If-None-Match", "*"), etag, notModified},
		{"If-None-Match differs", condRequest("GET", "If-None-Match", `"other"`), etag, proceed},
		{"If-None-Match on HEAD", condRequest("HEAD", "If-None-Match", etag), etag, notModified},
		{"If-None-Match on an unsafe method", condRequest("POST", "If-None-Match", etag), etag, preconditionFailed},
		{"If-None-Match without an ETag", condRequest("GET", "If-None-Match", etag), "", proceed},
		{"If-None-Match beats If-Modified-Since", condRequest("GET", "If-None-Match", `"other"`, "If-Modified-Since", after), etag, proceed},
		{"If-Modified-Since same second", condRequest("GET", "If-Modified-Since", at), etag, notModified},
		{"If-Modified-Since later", condRequest("GET", "If-Modified-Since", after), etag, notModified},
		{"If-Modified-Since earlier", condRequest("GET", "If-Modified-Since", before), etag, proceed},
		{"If-Modified-Since unparsable", condRequest("GET", "If-Modified-Since", "yesterday"), etag, proceed},
		{"If-Match matches", condRequest("GET", "If-Match", etag), etag, proceed},
		{"If-Match differs", condRequest("GET", "If-Match", `"other"`), etag, preconditionFailed},
		{"If-Match is strong: weak tag refused", condRequest("GET", "If-Match", `W/"abc"`), etag, preconditionFailed},
		{"If-Match against a weak ETag", condRequest("GET", "If-Match", `W/"abc"`), `W/"abc"`, preconditionFailed},
		{"If-Match star", condRequest("GET", "If-Match", "*"), etag, proceed},
		{"If-Unmodified-Since earlier", condRequest("GET", "If-Unmodified-Since", before), etag, preconditionFailed},
		{"If-Unmodified-Since same second", condRequest("GET", "If-Unmodified-Since", at), etag, proceed},
		{"If-Match wins over If-Unmodified-Since", condRequest("GET", "If-Match", etag, "If-Unmodified-Since", before), etag, proceed},
		{"If-Match passes, If-None-Match matches", condRequest("GET", "If-Match", etag, "If-None-Match", etag), etag, notModified},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if got := evaluate(tt.r, tt.etag, mod); got != tt.want {
				t.Errorf("evaluate = %d, want %d", got, tt.want)
			}
		})
	}
	t.Run("no Last-Modified ignores date conditions", func(t *testing.T) {
		if got := evaluate(condRequest("GET", "If-Modified-Since", after), etag, time.Time{}); got != proceed {
			t.Errorf("= %d, want proceed", got)
		}
		if got := evaluate(condRequest("GET", "If-Unmodified-Since", before), etag, time.Time{}); got != proceed {
			t.Errorf("= %d, want proceed", got)
		}
	})
}

func TestRangeApplies(t *testing.T) {
	mod := time.Date(2026, 11, 20, 10, 30, 15, 0, time.UTC)
	for _, tt := range []struct {
		ifRange, etag string
		want          bool
	}{
		{"", `"abc"`, true},
		{`"abc"`, `"abc"`, true},
		{`"old"`, `"abc"`, false},
		{`W/"abc"`, `W/"abc"`, false}, // weak validators never allow a range
		{`"abc"`, `W/"abc"`, false},
		{mod.Format(http.TimeFormat), `"abc"`, true},
		{mod.Add(time.Second).Format(http.TimeFormat), `"abc"`, false},
		{"not a date", `"abc"`, false},
	} {
		r := condRequest("GET", "Range", "bytes=0-1")
		if tt.ifRange != "" {
			r.Header.Set("If-Range", tt.ifRange)
		}
		if got := rangeApplies(r, tt.etag, mod); got != tt.want {
			t.Errorf("If-Range %q against %s: %v, want %v", tt.ifRange, tt.etag, got, tt.want)
		}
	}
}

func TestHasConditions(t *testing.T) {
	if hasConditions(condRequest("GET", "Range", "bytes=0-1", "Accept", "image/webp")) {
		t.Error("Range and Accept are not conditions")
	}
	for _, h := range []string{"If-None-Match", "If-Modified-Since", "If-Match", "If-Unmodified-Since", "If-Range"} {
		if !hasConditions(condRequest("GET", h, `"x"`)) {
			t.Errorf("%s not seen as a condition", h)
		}
	}
}
