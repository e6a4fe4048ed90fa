package weborigin

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"strconv"
	"syscall"
	"time"
)

// Resolver looks up a host's addresses; *net.Resolver implements it. Tests
// substitute one that maps names without sending a DNS query.
type Resolver interface {
	LookupNetIP(ctx context.Context, network, host string) ([]netip.Addr, error)
}

// maxAddrs bounds how many resolved addresses one dial tries.
const maxAddrs = 8

// dialer connects to web origins. It resolves the name itself, refuses
// addresses outside the policy without connecting, and checks once more in
// the socket's Control hook, on the very address being connected: that is
// the check that cannot be bypassed, whatever produced the address.
type dialer struct {
	policy   *policy
	resolver Resolver
	timeout  time.Duration
	// attempted, when set (tests), is told of every connect about to be
	// made, before the policy check of the Control hook.
	attempted func(address string)
}

func (d *dialer) netDialer() *net.Dialer {
	return &net.Dialer{
		Timeout:   d.timeout,
		KeepAlive: 30 * time.Second,
		// No Happy Eyeballs fallback between families: DialContext below
		// already tries the addresses one by one.
		FallbackDelay:  -1,
		ControlContext: d.control,
	}
}

// control runs after the socket is created and before it connects.
func (d *dialer) control(_ context.Context, network, address string, _ syscall.RawConn) error {
	if d.attempted != nil {
		d.attempted(address)
	}
	ap, err := netip.ParseAddrPort(address)
	if err != nil {
		return refused("cannot read dialled address %q", address)
	}
	return d.policy.check(ap.Addr())
}

// DialContext is the transport's dial function.
func (d *dialer) DialContext(ctx context.Context, network, addr string) (net.Conn, error) {
	host, portStr, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, refused("bad address %q", addr)
	}
	port, err := strconv.ParseUint(portStr, 10, 16)
	if err != nil || port == 0 {
		return nil, refused("bad port in %q", addr)
	}
	if err := d.policy.checkHost(host); err != nil {
		return nil, err
	}
	addrs, err := d.lookup(ctx, network, host)
	if err != nil {
		return nil, err
	}
	var refusal, last error
	nd := d.netDialer()
	for _, a := range addrs {
		if err := d.policy.check(a); err != nil {
			refusal = err
			continue
		}
		conn, err := nd.DialContext(ctx, network, netip.AddrPortFrom(a, uint16(port)).String())
		if err == nil {
			return conn, nil
		}
		last = err
		if ctx.Err() != nil {
			break
		}
	}
	if last == nil {
		// Every address was refused: nothing was dialled.
		return nil, refusal
	}
	return nil, last
}

func (d *dialer) lookup(ctx context.Context, network, host string) ([]netip.Addr, error) {
	if a, err := netip.ParseAddr(host); err == nil {
		return []netip.Addr{a}, nil
	}
	family := "ip"
	switch network {
	case "tcp4":
		family = "ip4"
	case "tcp6":
		family = "ip6"
	}
	addrs, err := d.resolver.LookupNetIP(ctx, family, host)
	if err != nil {
		var dnsErr *net.DNSError
		if errors.As(err, &dnsErr) && dnsErr.IsNotFound {
			return nil, fmt.Errorf("no such host %q: %w", host, err)
		}
		return nil, fmt.Errorf("resolving %q: %w", host, err)
	}
	if len(addrs) == 0 {
		return nil, fmt.Errorf("resolving %q: no addresses", host)
	}
	if len(addrs) > maxAddrs {
		addrs = addrs[:maxAddrs]
	}
	return addrs, nil
}
