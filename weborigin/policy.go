package weborigin

import (
	"errors"
	"fmt"
	"net/netip"
	"strings"
)

// policy decides which addresses a web origin may connect to. By default
// only public unicast addresses are allowed; operators open specific
// ranges with allow_private. The same check runs twice: on a literal
// address in a URL (so that a refusal needs no DNS and no connection), and
// on the address actually dialled, after DNS resolution, which is the one
// that counts (DNS rebinding cannot slip past it).
type policy struct {
	allow []netip.Prefix
}

// newPolicy parses allow_private entries: CIDR prefixes ("10.1.0.0/16",
// "fd00::/8") or single addresses ("192.168.1.10").
func newPolicy(allowPrivate []string) (*policy, error) {
	p := &policy{}
	for _, s := range allowPrivate {
		s = strings.TrimSpace(s)
		var pfx netip.Prefix
		var err error
		if strings.Contains(s, "/") {
			pfx, err = netip.ParsePrefix(s)
		} else {
			var a netip.Addr
			if a, err = netip.ParseAddr(s); err == nil && a.Zone() != "" {
				err = errors.New("zoned address")
			}
			pfx = netip.PrefixFrom(a, a.BitLen())
		}
		if err != nil {
			return nil, fmt.Errorf("allow_private: %q is not a CIDR prefix or an IP address", s)
		}
		// An IPv4-mapped prefix means the IPv4 range; checks unmap first.
		if pfx.Addr().Is4In6() && pfx.Bits() >= 96 {
			pfx = netip.PrefixFrom(pfx.Addr().Unmap(), pfx.Bits()-96)
		}
		p.allow = append(p.allow, pfx.Masked())
	}
	return p, nil
}

// namedRange is an address range refused by default, with the name a
// refusal reports.
type namedRange struct {
	prefix netip.Prefix
	name   string
}

func mustRanges(pairs ...string) []namedRange {
	out := make([]namedRange, 0, len(pairs)/2)
	for i := 0; i < len(pairs); i += 2 {
		out = append(out, namedRange{netip.MustParsePrefix(pairs[i]), pairs[i+1]})
	}
	return out
}

// refusedRanges are every special-purpose range of the IANA IPv4 and IPv6
// registries that is not globally reachable, plus multicast and the
// reserved space. IPv4-mapped addresses are unmapped before the check, and
// the IPv4 address inside NAT64 and 6to4 addresses is checked as well (see
// embeddedIPv4).
var refusedRanges = mustRanges(
	"0.0.0.0/8", "unspecified (this network)",
	"10.0.0.0/8", "private (RFC 1918)",
	"100.64.0.0/10", "shared address space (CGNAT)",
	"127.0.0.0/8", "loopback",
	"169.254.0.0/16", "link-local (cloud metadata)",
	"172.16.0.0/12", "private (RFC 1918)",
	"192.0.0.0/24", "IETF protocol assignments",
	"192.0.2.0/24", "documentation",
	"192.88.99.0/24", "6to4 relay anycast",
	"192.168.0.0/16", "private (RFC 1918)",
	"198.18.0.0/15", "benchmarking",
	"198.51.100.0/24", "documentation",
	"203.0.113.0/24", "documentation",
	"224.0.0.0/4", "multicast",
	"240.0.0.0/4", "reserved (incl. broadcast)",

	"::/96", "unspecified, loopback or IPv4-compatible",
	"::ffff:0:0:0/96", "IPv4-translated",
	"64:ff9b:1::/48", "local-use NAT64",
	"100::/64", "discard-only",
	"2001::/23", "IETF protocol assignments (incl. Teredo)",
	"2001:db8::/32", "documentation",
	"3fff::/20", "documentation",
	"5f00::/16", "segment routing",
	"fc00::/7", "unique local (ULA)",
	"fe80::/10", "link-local",
	"fec0::/10", "site-local",
	"ff00::/8", "multicast",
)

var (
	nat64Prefix = netip.MustParsePrefix("64:ff9b::/96")
	sixToFour   = netip.MustParsePrefix("2002::/16")
)

// check returns nil when the address may be dialled, else a refusal.
func (p *policy) check(a netip.Addr) error {
	if !a.IsValid() {
		return refused("no valid address")
	}
	// A zone (fe80::1%eth0) only ever scopes a link-local address; the
	// ranges below are matched without it.
	a = a.WithZone("")
	// ::ffff:127.0.0.1 reaches 127.0.0.1 on a dual-stack socket.
	a = a.Unmap()
	if p.allowed(a) {
		return nil
	}
	if name := rangeOf(a); name != "" {
		return refused("%s is a %s address", a, name)
	}
	if v4, ok := embeddedIPv4(a); ok {
		if p.allowed(v4) {
			return nil
		}
		if name := rangeOf(v4); name != "" {
			return refused("%s embeds %s, a %s address", a, v4, name)
		}
	}
	return nil
}

func (p *policy) allowed(a netip.Addr) bool {
	for _, pfx := range p.allow {
		if pfx.Contains(a) {
			return true
		}
	}
	return false
}

func rangeOf(a netip.Addr) string {
	for _, r := range refusedRanges {
		if r.prefix.Contains(a) {
			return r.name
		}
	}
	return ""
}

// embeddedIPv4 extracts the IPv4 address that a NAT64 (64:ff9b::/96) or
// 6to4 (2002::/16) address carries: a gateway would forward to it.
func embeddedIPv4(a netip.Addr) (netip.Addr, bool) {
	b := a.As16()
	switch {
	case !a.Is6():
		return netip.Addr{}, false
	case nat64Prefix.Contains(a):
		return netip.AddrFrom4([4]byte(b[12:16])), true
	case sixToFour.Contains(a):
		return netip.AddrFrom4([4]byte(b[2:6])), true
	}
	return netip.Addr{}, false
}

// checkHost checks the host of a URL before anything is resolved or
// dialled. An IP literal is checked now. A host that an OS resolver would
// read as an IPv4 address in another notation (2130706433, 0x7f000001,
// 0177.0.0.1, 127.1) is refused outright: no legitimate origin is written
// that way, and resolvers disagree on what it means. Any other name is
// left to the dial-time check on the addresses it resolves to.
func (p *policy) checkHost(host string) error {
	if host == "" {
		return refused("empty host")
	}
	if a, err := netip.ParseAddr(strings.TrimSuffix(strings.TrimPrefix(host, "["), "]")); err == nil {
		return p.check(a)
	}
	name := strings.TrimSuffix(host, ".")
	if name == "" || len(name) > 253 {
		return refused("invalid host name")
	}
	for _, c := range name {
		// Non-ASCII is an internationalised name: the transport turns it
		// into punycode (full-width "１２７.０.０.１" becomes "127.0.0.1")
		// before dialling, where it is checked again.
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '.' || c == '_' || c >= 0x80) {
			return refused("invalid host name")
		}
	}
	labels := strings.Split(name, ".")
	if numericLabel(labels[len(labels)-1]) {
		// WHATWG URL rule: a host whose last label is a number is an IPv4
		// address; if it did not parse as dotted decimal above, it is in a
		// notation we refuse.
		return refused("host %q is an IPv4 address in a non-canonical notation", host)
	}
	return nil
}

// numericLabel reports whether a label is a decimal, octal or hex number
// as inet_aton reads them ("127", "0177", "0x7f", "0x").
func numericLabel(l string) bool {
	if l == "" {
		return false
	}
	if h, ok := strings.CutPrefix(strings.ToLower(l), "0x"); ok {
		l = h
		for _, c := range l {
			if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
				return false
			}
		}
		return true
	}
	for _, c := range l {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}
