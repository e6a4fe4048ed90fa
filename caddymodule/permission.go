package caddymodule

import (
	"context"
	"fmt"

	"github.com/caddyserver/caddy/v2"
	"github.com/caddyserver/caddy/v2/caddyconfig/caddyfile"
	"github.com/caddyserver/caddy/v2/modules/caddytls"
)

func init() {
	caddy.RegisterModule(TenantPermission{})
}

// TenantPermission allows on-demand TLS certificates only for the domains
// of the tenants of the image_cdn handlers in the running configuration
// (Caddyfile: `on_demand_tls { permission image_cdn }`). Any other name is
// refused before issuance, so a stranger pointing a domain at the server
// cannot make it ask a CA for a certificate.
type TenantPermission struct{}

// CaddyModule returns the Caddy module information.
func (TenantPermission) CaddyModule() caddy.ModuleInfo {
	return caddy.ModuleInfo{
		ID:  "tls.permission.image_cdn",
		New: func() caddy.Module { return new(TenantPermission) },
	}
}

// CertificateAllowed implements caddytls.OnDemandPermission.
func (TenantPermission) CertificateAllowed(_ context.Context, name string) error {
	for _, h := range liveHandlers() {
		if h.allowsCertificate(name) {
			return nil
		}
	}
	return fmt.Errorf("%s: %w: not a tenant domain of image_cdn", name, caddytls.ErrPermissionDenied)
}

// UnmarshalCaddyfile parses `permission image_cdn` (no options).
func (TenantPermission) UnmarshalCaddyfile(d *caddyfile.Dispenser) error {
	d.Next() // "image_cdn"
	if d.NextArg() || d.NextBlock(d.Nesting()) {
		return d.Err("permission image_cdn takes no options")
	}
	return nil
}

// Interface guards.
var (
	_ caddytls.OnDemandPermission = TenantPermission{}
	_ caddyfile.Unmarshaler       = (*TenantPermission)(nil)
)
