package signedurl

import (
	"crypto/hmac"
	"crypto/sha1"
	"encoding/hex"
	"errors"
	"strings"
	"testing"
	"time"
)

var dummyKey = []byte("dummy-key")

// now is a fixed clock: 2026-11-23T00:00:00Z.
var now = time.Unix(1795392000, 0)

// sdkVectors are the public ImageKit SDK vectors from issue 5 (key dummy-key):
// the request-target as a client sends it, and the ik-s the SDK computed.
var sdkVectors = []struct {
	name, target, sig string
}{
	{"plain path", "sdk-testing-files/future-search.png", "32dbbbfc5f945c0403c71b54c38e76896ef2d6b0"},
	{"query kept in order", "sdk-testing-files/future-search.png?version=1.0&cache=false", "f2e5a1b8b6a0b03fd63789dfc6413a94acef9fd8"},
	{"tr in query, raw comma", "sdk-testing-files/future-search.png?version=2.0&tr=w-300,h-200", "601d97a7834b7554f4dabf0d3fc3a219ceeb6b31"},
	{"percent-encoded UTF-8 path", "sdk-testing-files/%E0%A4%B9%E0%A4%BF%E0%A4%A8%E0%A5%8D%E0%A4%A6%E0%A5%80.png", "3fff2f31da1f45e007adcdbe95f88c8c330e743c"},
}

func withSig(target, sig string) string {
	if strings.Contains(target, "?") {
		return target + "&ik-s=" + sig
	}
	return target + "?ik-s=" + sig
}

func TestSDKVectors(t *testing.T) {
	for _, v := range sdkVectors {
		t.Run(v.name, func(t *testing.T) {
			for _, target := range []string{withSig(v.target, v.sig), "/" + withSig(v.target, v.sig)} {
				if err := Verify(target, [][]byte{dummyKey}, now); err != nil {
					t.Errorf("Verify(%q) = %v, want nil", target, err)
				}
			}
			// Sign must produce the very URL the SDK produces.
			if got, want := Sign(v.target, dummyKey, time.Time{}), withSig(v.target, v.sig); got != want {
				t.Errorf("Sign(%q) = %q, want %q", v.target, got, want)
			}
		})
	}
}

// The SDKs percent-encode non-ASCII paths before signing; Sign does too.
func TestSignEncodesLikeSDK(t *testing.T) {
	got := Sign("sdk-testing-files/हिन्दी.png", dummyKey, time.Time{})
	want := withSig(sdkVectors[3].target, sdkVectors[3].sig)
	if got != want {
		t.Errorf("Sign = %q, want %q", got, want)
	}
}

// mac computes the signature of S+T directly, to build test URLs by hand.
func mac(key []byte, s string) string {
	m := hmac.New(sha1.New, key)
	m.Write([]byte(s))
	return hex.EncodeToString(m.Sum(nil))
}

func TestVerify(t *testing.T) {
	const base = "img/a.png?w=1&x=2"
	future := now.Add(time.Hour)
	past := now.Add(-time.Second)
	otherKey := []byte("other-key")
	sigBase := mac(dummyKey, base+"9999999999")
	futureT := "1795395600"
	sigFuture := mac(dummyKey, base+futureT)

	tests := []struct {
		name   string
		target string
		keys   [][]byte
		want   error
	}{
		{"signed", Sign(base, dummyKey, time.Time{}), nil, nil},
		{"signed with expiry", Sign(base, dummyKey, future), nil, nil},
		{"expires exactly now is still valid", Sign(base, dummyKey, now), nil, nil},
		{"expired", Sign(base, dummyKey, past), nil, ErrExpired},
		{"ik-t before ik-s by hand", base + "&ik-t=" + futureT + "&ik-s=" + sigFuture, nil, nil},
		{"ik-s before ik-t: removed by position, order of the two does not matter", base + "&ik-s=" + sigFuture + "&ik-t=" + futureT, nil, nil},
		{"ik-s in the middle", "img/a.png?w=1&ik-s=" + sigBase + "&x=2", nil, nil},
		{"ik-s first", "img/a.png?ik-s=" + sigBase + "&w=1&x=2", nil, nil},
		{"explicit never-expiring ik-t signs the same", base + "&ik-t=9999999999&ik-s=" + sigBase, nil, nil},
		{"no signature", base, nil, ErrMissing},
		{"only ik-t", base + "&ik-t=" + futureT, nil, ErrMissing},
		{"empty target", "", nil, ErrMissing},
		{"encoded parameter name is not ik-s", base + "&ik%2Ds=" + sigBase, nil, ErrMissing},
		{"uppercase parameter name is not ik-s", base + "&IK-S=" + sigBase, nil, ErrMissing},

		{"wrong key", Sign(base, otherKey, time.Time{}), nil, ErrInvalid},
		{"rotation: second key verifies", Sign(base, otherKey, time.Time{}), [][]byte{dummyKey, otherKey}, nil},
		{"rotation: first key verifies", Sign(base, dummyKey, time.Time{}), [][]byte{dummyKey, otherKey}, nil},
		{"empty key list fails closed", Sign(base, dummyKey, time.Time{}), [][]byte{}, ErrInvalid},
		{"empty key never verifies", Sign(base, nil, time.Time{}), [][]byte{nil, {}}, ErrInvalid},

		{"reordered query", "img/a.png?x=2&w=1&ik-s=" + sigBase, nil, ErrInvalid},
		{"extra parameter", base + "&y=3&ik-s=" + sigBase, nil, ErrInvalid},
		{"dropped parameter", "img/a.png?w=1&ik-s=" + sigBase, nil, ErrInvalid},
		{"extra empty piece", base + "&&ik-s=" + sigBase, nil, ErrInvalid},
		{"path re-encoded %2F", "img%2Fa.png?w=1&x=2&ik-s=" + sigBase, nil, ErrInvalid},
		{"leading slash twice", "//" + base + "&ik-s=" + sigBase, nil, ErrInvalid},
		{"trailing ?", "img/a.png?&ik-s=" + mac(dummyKey, "img/a.png9999999999"), nil, ErrInvalid},
		{"tampered expiry", base + "&ik-t=1795399999&ik-s=" + sigFuture, nil, ErrInvalid},
		{"expiry removed", base + "&ik-s=" + sigFuture, nil, ErrInvalid},
		{"duplicate ik-s, both genuine", base + "&ik-s=" + sigBase + "&ik-s=" + sigBase, nil, ErrInvalid},
		{"duplicate ik-t", base + "&ik-t=" + futureT + "&ik-t=" + futureT + "&ik-s=" + sigFuture, nil, ErrInvalid},
		{"signature also copied into the path", "img/ik-s=" + sigBase + "/a.png?w=1&x=2&ik-s=" + sigBase, nil, ErrInvalid},
		{"signature also in another value", base + "&y=ik-s=" + sigBase + "&ik-s=" + sigBase, nil, ErrInvalid},
		{"uppercase hex", base + "&ik-s=" + strings.ToUpper(sigBase), nil, ErrInvalid},
		{"short signature", base + "&ik-s=" + sigBase[:39], nil, ErrInvalid},
		{"empty signature", base + "&ik-s=", nil, ErrInvalid},
		{"bare ik-s", base + "&ik-s", nil, ErrInvalid},
		{"ik-t not a number", base + "&ik-t=soon&ik-s=" + sigBase, nil, ErrInvalid},
		{"ik-t signed", base + "&ik-t=+1795395600&ik-s=" + mac(dummyKey, base+"+1795395600"), nil, ErrInvalid},
		{"ik-t negative", base + "&ik-t=-1&ik-s=" + mac(dummyKey, base+"-1"), nil, ErrInvalid},
		{"ik-t empty", base + "&ik-t=&ik-s=" + mac(dummyKey, base), nil, ErrInvalid},
		{"ik-t overflows int64", base + "&ik-t=99999999999999999999&ik-s=" + mac(dummyKey, base+"99999999999999999999"), nil, ErrInvalid},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			keys := tt.keys
			if keys == nil {
				keys = [][]byte{dummyKey}
			}
			err := Verify(tt.target, keys, now)
			if tt.want == nil {
				if err != nil {
					t.Fatalf("Verify(%q) = %v, want nil", tt.target, err)
				}
				return
			}
			if !errors.Is(err, tt.want) {
				t.Fatalf("Verify(%q) = %v, want %v", tt.target, err, tt.want)
			}
		})
	}
}

// A URL signed in one encoding must not verify in another: the signature
// covers the bytes on the wire, not their meaning.
func TestVerifyRejectsReencoding(t *testing.T) {
	tests := []struct{ signed, sent string }{
		{"a/b%2Fc.png", "a/b/c.png"},
		{"a/b/c.png", "a/b%2Fc.png"},
		{"a/red%20dress.png", "a/red+dress.png"},
		{"a/red%20dress.png", "a/red dress.png"},
		{"a/%C3%A9.png", "a/%c3%a9.png"},
		{"a/%c3%a9.png", "a/%C3%A9.png"},
		{"a.png?tr=w-300,h-200", "a.png?tr=w-300%2Ch-200"},
		{"a.png?q=a%20b", "a.png?q=a+b"},
		{"a/x.png", "a/./x.png"},
		{"a/x.png", "A/x.png"},
	}
	for _, tt := range tests {
		signed := Sign(tt.signed, dummyKey, time.Time{})
		if err := Verify(signed, [][]byte{dummyKey}, now); err != nil {
			t.Fatalf("Verify(Sign(%q)) = %v", tt.signed, err)
		}
		sig := signed[strings.LastIndex(signed, "ik-s=")+len("ik-s="):]
		sent := withSig(tt.sent, sig)
		if err := Verify(sent, [][]byte{dummyKey}, now); !errors.Is(err, ErrInvalid) {
			t.Errorf("signed %q, sent %q: Verify = %v, want ErrInvalid", tt.signed, tt.sent, err)
		}
	}
}

func TestSign(t *testing.T) {
	exp := time.Unix(1795395600, 0)
	tests := []struct {
		name, in   string
		expires    time.Time
		wantPrefix string
	}{
		{"no query", "a.png", time.Time{}, "a.png?ik-s="},
		{"query", "a.png?w=1", time.Time{}, "a.png?w=1&ik-s="},
		{"expiry before signature", "a.png?w=1", exp, "a.png?w=1&ik-t=1795395600&ik-s="},
		{"expiry, no query", "a.png", exp, "a.png?ik-t=1795395600&ik-s="},
		{"leading slash kept", "/a.png", time.Time{}, "/a.png?ik-s="},
		{"lone ? dropped", "a.png?", time.Time{}, "a.png?ik-s="},
		{"re-sign drops old ik-t and ik-s", "a.png?ik-t=1&w=1&ik-s=x&ik-s=y", exp, "a.png?w=1&ik-t=1795395600&ik-s="},
		{"space and non-ASCII encoded, escapes kept", "a b/é%2F.png", time.Time{}, "a%20b/%C3%A9%2F.png?ik-s="},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Sign(tt.in, dummyKey, tt.expires)
			if !strings.HasPrefix(got, tt.wantPrefix) || len(got) != len(tt.wantPrefix)+40 {
				t.Errorf("Sign(%q) = %q, want %q + 40 hex digits", tt.in, got, tt.wantPrefix)
			}
			if err := Verify(got, [][]byte{dummyKey}, now); err != nil {
				t.Errorf("Verify(Sign(%q)) = %v", tt.in, err)
			}
		})
	}
}

// Errors are logged; they must never carry the expected signature.
func TestErrorsDoNotLeakSignature(t *testing.T) {
	target := "a.png?ik-s=" + strings.Repeat("0", 40)
	want := mac(dummyKey, "a.png9999999999")
	err := Verify(target, [][]byte{dummyKey}, now)
	if err == nil || strings.Contains(err.Error(), want) || strings.Contains(err.Error(), "a.png") {
		t.Fatalf("error %q leaks the expected signature or the request", err)
	}
}

func BenchmarkVerify(b *testing.B) {
	target := Sign("sdk-testing-files/future-search.png?version=2.0&tr=w-300,h-200", dummyKey, now.Add(time.Hour))
	keys := [][]byte{dummyKey}
	b.ReportAllocs()
	for b.Loop() {
		if err := Verify(target, keys, now); err != nil {
			b.Fatal(err)
		}
	}
}

func FuzzVerify(f *testing.F) {
	for _, v := range sdkVectors {
		f.Add(withSig(v.target, v.sig), v.target)
	}
	f.Add("a.png?w=1&ik-s=&ik-t=&&", "a?&")
	f.Add("/?ik-t=99999999999999999999&ik-s=00", "//x?ik-s")
	f.Add("", "?")
	f.Fuzz(func(t *testing.T, target, unsigned string) {
		// Arbitrary input: must not panic, must fail with one of the errors.
		if err := Verify(target, [][]byte{dummyKey}, now); err != nil &&
			!errors.Is(err, ErrMissing) && !errors.Is(err, ErrInvalid) && !errors.Is(err, ErrExpired) {
			t.Fatalf("Verify(%q) = %v, not one of the sentinel errors", target, err)
		}
		// Round trip: whatever Sign produces, Verify accepts.
		for _, exp := range []time.Time{{}, now.Add(time.Minute)} {
			signed := Sign(unsigned, dummyKey, exp)
			if err := Verify(signed, [][]byte{dummyKey}, now); err != nil {
				t.Fatalf("Verify(Sign(%q)) = Verify(%q) = %v", unsigned, signed, err)
			}
		}
	})
}
