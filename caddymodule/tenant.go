package caddymodule

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"slices"
	"strings"

	"github.com/caddyserver/caddy/v2"
	"github.com/caddyserver/caddy/v2/caddyconfig/caddyfile"
	"gopkg.in/yaml.v3"
)

// Tenant is a customer's own domain(s) served by its own configuration:
// every handler option (origins, folder, result storage, sign keys, named
// transformations, limits…), nothing inherited from the enclosing handler.
type Tenant struct {
	// Domains this tenant answers for: exact host names, or "*.example.com"
	// for any one label below example.com. Matched case-insensitively,
	// without the port. On-demand TLS (tls.permission.image_cdn) issues
	// certificates for exactly these names.
	Domains []string `json:"domains"`

	Handler
}

// maxTenantsFile bounds the tenants file read at provision time.
const maxTenantsFile = 16 << 20

// provisionTenants loads tenants_file, provisions every tenant's handler
// and builds the host table.
func (h *Handler) provisionTenants(ctx caddy.Context) error {
	if h.TenantsFile != "" {
		file := caddy.NewReplacer().ReplaceKnown(h.TenantsFile, "")
		more, err := readTenantsFile(file)
		if err != nil {
			return err
		}
		h.tenants = append(slices.Clone(h.Tenants), more...)
	} else {
		h.tenants = h.Tenants
	}
	if len(h.tenants) == 0 {
		return nil
	}
	h.hosts = map[string]*Handler{}
	for i := range h.tenants {
		t := &h.tenants[i]
		name := fmt.Sprintf("tenant %d (%s)", i+1, strings.Join(t.Domains, " "))
		if len(t.Domains) == 0 {
			return fmt.Errorf("%s: at least one domain is required", name)
		}
		if len(t.Tenants) > 0 || t.TenantsFile != "" {
			return fmt.Errorf("%s: a tenant cannot have tenants", name)
		}
		for _, d := range t.Domains {
			host, err := normalizeTenantDomain(d)
			if err != nil {
				return fmt.Errorf("%s: %w", name, err)
			}
			if _, dup := h.hosts[host]; dup {
				return fmt.Errorf("%s: domain %q belongs to another tenant too", name, d)
			}
			h.hosts[host] = &t.Handler
		}
		if err := t.Handler.Provision(ctx); err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
		if err := t.Handler.Validate(); err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
	}
	return nil
}

// readTenantsFile reads the tenant table: a YAML (or JSON) list of
// tenants, each with its domains and handler options in their JSON names,
// e.g.
//
//   - domains: [images.customer-a.com]
//     origins:
//   - source: s3
//     bucket: customer-a
//     sign_keys: ["{env.CUSTOMER_A_KEY}"]
func readTenantsFile(file string) ([]Tenant, error) {
	f, err := os.Open(file)
	if err != nil {
		return nil, fmt.Errorf("tenants_file: %w", err)
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxTenantsFile+1))
	if err != nil {
		return nil, fmt.Errorf("tenants_file: %w", err)
	}
	if len(data) > maxTenantsFile {
		return nil, fmt.Errorf("tenants_file %s: over %d bytes", file, maxTenantsFile)
	}
	var doc any
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, fmt.Errorf("tenants_file %s: %w", file, err)
	}
	raw, err := json.Marshal(doc)
	if err != nil {
		return nil, fmt.Errorf("tenants_file %s: %w", file, err)
	}
	var tenants []Tenant
	jd := json.NewDecoder(bytes.NewReader(raw))
	jd.DisallowUnknownFields()
	if err := jd.Decode(&tenants); err != nil {
		return nil, fmt.Errorf("tenants_file %s: want a list of tenants (domains and handler options): %w", file, err)
	}
	return tenants, nil
}

// normalizeTenantDomain lower-cases a domain and checks its form.
func normalizeTenantDomain(d string) (string, error) {
	host := strings.TrimSuffix(strings.ToLower(strings.TrimSpace(d)), ".")
	rest, _ := strings.CutPrefix(host, "*.")
	if rest == "" || strings.ContainsAny(rest, "*:/ \t") {
		return "", fmt.Errorf("domain %q: want a host name such as images.example.com or *.example.com", d)
	}
	return host, nil
}

// requestHost is the request's host, lower-cased, without port or final dot.
func requestHost(r *http.Request) string {
	host := r.Host
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	}
	return strings.TrimSuffix(strings.ToLower(host), ".")
}

// tenantFor is the handler for host: an exact domain first, then a
// wildcard one label up. nil when no tenant has the host.
func (h *Handler) tenantFor(host string) *Handler {
	if t, ok := h.hosts[host]; ok {
		return t
	}
	if _, parent, ok := strings.Cut(host, "."); ok && parent != "" {
		return h.hosts["*."+parent]
	}
	return nil
}

// errUnknownHost answers a Host no tenant has, when the enclosing handler
// has no origins of its own to serve it.
var errUnknownHost = &clientError{status: http.StatusNotFound, code: "ENOTENANT", msg: "no site is configured for this host",
	cause: errors.New("unknown tenant host")}

// forHost is the handler that serves r: a tenant's when r's Host is one of
// its domains, else this one, which must then have origins of its own.
func (h *Handler) forHost(r *http.Request) (*Handler, error) {
	if h.hosts == nil {
		return h, nil
	}
	if t := h.tenantFor(requestHost(r)); t != nil {
		return t, nil
	}
	if len(h.origins) == 0 {
		return h, errUnknownHost
	}
	return h, nil
}

// allowsCertificate reports whether one of this handler's tenants has name.
func (h *Handler) allowsCertificate(name string) bool {
	return h.hosts != nil && h.tenantFor(strings.TrimSuffix(strings.ToLower(name), ".")) != nil
}

// unmarshalTenant parses `tenant <domain>… { <handler options> }`.
func unmarshalTenant(d *caddyfile.Dispenser) (Tenant, error) {
	var t Tenant
	t.Domains = d.RemainingArgs()
	if len(t.Domains) == 0 {
		return t, d.Err("tenant: want at least one domain, then a block of handler options")
	}
	if err := t.Handler.unmarshalOptions(d); err != nil {
		return t, err
	}
	return t, nil
}
