// Package signedurl implements ImageKit-compatible signed URLs.
//
// A signed URL carries two query parameters that ImageKit's SDKs append at
// the very end of the URL they build:
//
//	ik-t  unix expiry time in seconds (absent when the URL never expires)
//	ik-s  lowercase hex HMAC-SHA1(key, S + T)
//
// S is the request path and query after the URL endpoint, without a leading
// slash, exactly as sent on the wire (no decoding, no re-encoding, parameter
// order kept) with the ik-t and ik-s parameters removed. T is the ik-t value
// as sent, or "9999999999" when ik-t is absent. This is what the SDKs sign:
// imagekit-go lib/helper.go (BuildSrc, getSignature) and imagekit-nodejs
// libs/url/builder.ts (buildURL, getSignature) both compute the signature over
// the final URL minus "<urlEndpoint>/" before appending "ik-t=<T>" (only when
// the URL expires) and then "ik-s=<signature>", joined with "?" or "&".
//
// Verification removes ik-t and ik-s by position, never by substring
// replacement: the raw query is split into its "&"-separated pieces, exactly
// the pieces whose raw key is "ik-t" or "ik-s" are dropped, every other piece
// is kept byte for byte and in order, and the "?" goes too when nothing is
// left. A copy of a signature elsewhere in the URL (in the path, in another
// parameter's value, under an encoded name such as "ik%2Ds") is therefore
// part of S and cannot help an attacker.
//
// Decisions where ImageKit says nothing:
//   - A second ik-s or ik-t piece makes the URL invalid (ErrInvalid): an SDK
//     never emits one, and accepting either copy would let a proxy or an
//     attacker append parameters that one side sees and the other ignores.
//   - ik-t must be 1 to 18 ASCII digits (no sign, no spaces); anything else is
//     ErrInvalid. The digits are signed as sent, so "0123" and "123" differ.
//   - ik-s must be exactly 40 lowercase hex digits, as the SDKs emit.
//   - The signature is checked before the expiry, so ErrExpired is only ever
//     returned for a URL that the owner really signed. A URL is expired when
//     now is strictly after ik-t (now.Unix() > ik-t).
//   - Empty keys never verify anything: a signature made with an empty key can
//     be forged by anyone. With no usable key Verify fails closed (ErrInvalid);
//     the caller should not call Verify at all when no sign_key is configured.
//
// Errors never contain the expected signature nor any part of the request.
package signedurl

import (
	"crypto/hmac"
	"crypto/sha1"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

const (
	paramExpiry    = "ik-t"
	paramSignature = "ik-s"
	// neverExpires is the T that ImageKit's SDKs sign when a URL has no ik-t.
	neverExpires = "9999999999"
	// maxExpiryDigits keeps every accepted ik-t inside int64.
	maxExpiryDigits = 18
)

// All three errors mean 401 at the HTTP boundary. They are distinct so that
// logs and metrics can say why a request was refused.
var (
	// ErrMissing: the URL carries no ik-s parameter.
	ErrMissing = errors.New("signedurl: missing signature")
	// ErrInvalid: the signature or the expiry is malformed, duplicated, or
	// does not match any key.
	ErrInvalid = errors.New("signedurl: invalid signature")
	// ErrExpired: the signature is genuine but ik-t is in the past.
	ErrExpired = errors.New("signedurl: signature expired")
)

// Verify checks the ImageKit signature of a request.
//
// rawPathAndQuery is the request-target after the URL endpoint prefix, exactly
// as received (e.g. "sdk-testing-files/future-search.png?version=1.0&ik-s=…"),
// with or without one leading "/". Use the raw request-target
// (r.RequestURI minus the endpoint prefix), not r.URL.Path or
// r.URL.EscapedPath(): those are decoded or re-encoded and would break the
// signature of any URL whose encoding differs from Go's choice.
//
// keys are tried in order, so a new key can be added before the old one is
// retired (rotation). now is the current time, injected for tests.
//
// It returns nil, or an error that wraps ErrMissing, ErrInvalid or ErrExpired.
func Verify(rawPathAndQuery string, keys [][]byte, now time.Time) error {
	p := parse(rawPathAndQuery)
	if !p.hasSig {
		return ErrMissing
	}
	if p.dupSig {
		return fmt.Errorf("%w: duplicate ik-s parameter", ErrInvalid)
	}
	if p.dupExpiry {
		return fmt.Errorf("%w: duplicate ik-t parameter", ErrInvalid)
	}
	want, err := decodeSignature(p.sig)
	if err != nil {
		return err
	}
	expiry := neverExpires
	if p.hasExpiry {
		if !isExpiry(p.expiry) {
			return fmt.Errorf("%w: ik-t is not a unix time", ErrInvalid)
		}
		expiry = p.expiry
	}

	msg := p.message(expiry)
	var got [sha1.Size]byte
	ok := false
	for _, key := range keys {
		if len(key) == 0 {
			continue
		}
		mac := hmac.New(sha1.New, key)
		mac.Write(msg)
		// Stopping at the first match reveals only which key matched (by
		// timing), and that is no secret; each comparison is constant-time.
		if hmac.Equal(mac.Sum(got[:0]), want[:]) {
			ok = true
			break
		}
	}
	if !ok {
		return fmt.Errorf("%w: no key matches", ErrInvalid)
	}

	// Checked only once the signature is known to be genuine.
	t, _ := strconv.ParseInt(expiry, 10, 64) // isExpiry guarantees it parses
	if now.Unix() > t {
		return ErrExpired
	}
	return nil
}

// Sign returns pathAndQuery with ik-t (only when expires is not zero) and ik-s
// appended, in the order ImageKit's SDKs use, so that Verify accepts it.
//
// pathAndQuery is the part of the URL after the endpoint, as it will be sent
// (percent-encoded). Bytes that can never appear raw in a request-target
// (controls, space, DEL and non-ASCII) are percent-encoded first with
// uppercase hex, as browsers and the ImageKit SDKs do, so
// Sign("a/हिन्दी.png", …) signs "a/%E0%A4%B9…png". Everything else, including
// existing %XX escapes, is kept as given. ik-t and ik-s pieces already present
// are dropped first, so signing a signed URL re-signs it. A leading "/" is
// kept in the result but is not part of what is signed.
//
// key must not be empty: Verify never accepts a signature made with an empty
// key. An expires before 1970 yields a URL that Verify refuses (ErrInvalid).
func Sign(pathAndQuery string, key []byte, expires time.Time) string {
	lead := ""
	if strings.HasPrefix(pathAndQuery, "/") {
		lead = "/"
	}
	p := parse(escapeUnsafe(pathAndQuery))
	expiry := neverExpires
	if !expires.IsZero() {
		expiry = strconv.FormatInt(expires.Unix(), 10)
	}
	mac := hmac.New(sha1.New, key)
	mac.Write(p.message(expiry))
	sig := hex.EncodeToString(mac.Sum(nil))

	var b strings.Builder
	b.Grow(len(lead) + len(p.path) + 1 + len(p.kept) + 64)
	b.WriteString(lead)
	b.WriteString(p.path)
	sep := byte('?')
	if p.hasQuery {
		b.WriteByte('?')
		b.WriteString(p.kept)
		sep = '&'
	}
	if !expires.IsZero() {
		b.WriteByte(sep)
		b.WriteString(paramExpiry + "=")
		b.WriteString(expiry)
		sep = '&'
	}
	b.WriteByte(sep)
	b.WriteString(paramSignature + "=")
	b.WriteString(sig)
	return b.String()
}

// parsed is a request-target split into what is signed and the ik- values.
type parsed struct {
	path      string // without the leading "/" and without "?"
	kept      string // the query pieces that are signed, joined by "&"
	hasQuery  bool   // whether any piece is kept (then S has "?")
	sig       string
	hasSig    bool
	expiry    string
	hasExpiry bool
	dupSig    bool // more than one ik-s piece
	dupExpiry bool // more than one ik-t piece
}

// parse strips one leading "/" and removes every ik-t and ik-s piece by
// position, recording duplicates for Verify to refuse.
func parse(raw string) parsed {
	var p parsed
	raw = strings.TrimPrefix(raw, "/")
	path, query, _ := strings.Cut(raw, "?")
	p.path = path
	if query == "" {
		// "x" and "x?" sign the same S: nothing is left after the "?".
		return p
	}

	// Fast path for the common shape: ik- pieces only at the end, so the kept
	// pieces are one substring of the query and nothing is copied.
	keptEnd := 0 // query[:keptEnd] is kept when contiguous
	contiguous := true
	var b []byte // only used once a dropped piece is followed by a kept one
	first := true
	for rest := query; ; {
		piece, tail, more := strings.Cut(rest, "&")
		start := len(query) - len(rest)
		name, value, _ := strings.Cut(piece, "=")
		switch name {
		case paramSignature:
			p.dupSig = p.hasSig
			p.sig, p.hasSig = value, true
		case paramExpiry:
			p.dupExpiry = p.hasExpiry
			p.expiry, p.hasExpiry = value, true
		default:
			if contiguous && (p.hasSig || p.hasExpiry) {
				// A kept piece after a dropped one: fall back to copying.
				contiguous = false
				b = append(b, query[:keptEnd]...)
			}
			if contiguous {
				keptEnd = start + len(piece)
			} else {
				if !first {
					b = append(b, '&')
				}
				b = append(b, piece...)
			}
			first = false
		}
		if !more {
			break
		}
		rest = tail
	}
	if contiguous {
		p.kept = query[:keptEnd]
	} else {
		p.kept = string(b)
	}
	p.hasQuery = !first
	return p
}

// message returns S + T, the bytes that are signed.
func (p *parsed) message(expiry string) []byte {
	n := len(p.path) + len(expiry)
	if p.hasQuery {
		n += 1 + len(p.kept)
	}
	m := make([]byte, 0, n)
	m = append(m, p.path...)
	if p.hasQuery {
		m = append(m, '?')
		m = append(m, p.kept...)
	}
	return append(m, expiry...)
}

// decodeSignature accepts exactly 40 lowercase hex digits.
func decodeSignature(s string) ([sha1.Size]byte, error) {
	var out [sha1.Size]byte
	if len(s) != 2*sha1.Size {
		return out, fmt.Errorf("%w: ik-s is not a 40-digit hex HMAC-SHA1", ErrInvalid)
	}
	for i := range out {
		hi, ok1 := lowerHex(s[2*i])
		lo, ok2 := lowerHex(s[2*i+1])
		if !ok1 || !ok2 {
			return out, fmt.Errorf("%w: ik-s is not lowercase hex", ErrInvalid)
		}
		out[i] = hi<<4 | lo
	}
	return out, nil
}

func lowerHex(c byte) (byte, bool) {
	switch {
	case '0' <= c && c <= '9':
		return c - '0', true
	case 'a' <= c && c <= 'f':
		return c - 'a' + 10, true
	}
	return 0, false
}

// isExpiry reports whether s is a plain decimal unix time that fits int64.
func isExpiry(s string) bool {
	if len(s) == 0 || len(s) > maxExpiryDigits {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// escapeUnsafe percent-encodes the bytes a client would have to encode before
// sending: controls, space, DEL and every non-ASCII byte.
func escapeUnsafe(s string) string {
	n := 0
	for i := 0; i < len(s); i++ {
		if unsafeByte(s[i]) {
			n++
		}
	}
	if n == 0 {
		return s
	}
	const hexUpper = "0123456789ABCDEF"
	b := make([]byte, 0, len(s)+2*n)
	for i := 0; i < len(s); i++ {
		c := s[i]
		if unsafeByte(c) {
			b = append(b, '%', hexUpper[c>>4], hexUpper[c&15])
			continue
		}
		b = append(b, c)
	}
	return string(b)
}

func unsafeByte(c byte) bool { return c <= ' ' || c >= 0x7f }
