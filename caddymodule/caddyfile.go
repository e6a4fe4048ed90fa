package caddymodule

import (
	"strconv"
	"time"

	"github.com/caddyserver/caddy/v2"
	"github.com/caddyserver/caddy/v2/caddyconfig"
	"github.com/caddyserver/caddy/v2/caddyconfig/caddyfile"
	"github.com/caddyserver/caddy/v2/caddyconfig/httpcaddyfile"
	"github.com/caddyserver/caddy/v2/modules/caddyhttp"
)

func init() {
	httpcaddyfile.RegisterHandlerDirective("image_cdn", parseCaddyfile)
	// Same place as in DESIGN.md's `order image_cdn before file_server`,
	// so that the global option is not needed.
	httpcaddyfile.RegisterDirectiveOrder("image_cdn", httpcaddyfile.Before, "file_server")
}

func parseCaddyfile(h httpcaddyfile.Helper) (caddyhttp.MiddlewareHandler, error) {
	m := new(Handler)
	err := m.UnmarshalCaddyfile(h.Dispenser)
	return m, err
}

// UnmarshalCaddyfile parses the image_cdn directive:
//
//	image_cdn {
//		origin s3 [<name>] { … }     # repeatable: the origin preference list
//		origin file [<name>] <root>
//		cache_control <value>        # default "public, max-age=31536000, s-maxage=31536000"
//		not_found_max_age <duration> # how long a 404 may be cached; default 1m, negative: no-store
//	}
func (h *Handler) UnmarshalCaddyfile(d *caddyfile.Dispenser) error {
	d.Next() // directive name
	if d.NextArg() {
		return d.ArgErr()
	}
	seen := map[string]bool{}
	for d.NextBlock(0) {
		opt := d.Val()
		if opt != "origin" {
			if seen[opt] {
				return d.Errf("image_cdn: %s specified more than once", opt)
			}
			seen[opt] = true
		}
		switch opt {
		case "origin":
			if !d.NextArg() {
				return d.Err("image_cdn: origin needs a type (s3 or file)")
			}
			source := d.Val()
			modID := "http.handlers.image_cdn.origins." + source
			if _, err := caddy.GetModule(modID); err != nil {
				return d.Errf("image_cdn: unknown origin type %q (want s3 or file)", source)
			}
			unm, err := caddyfile.UnmarshalModule(d, modID)
			if err != nil {
				return err
			}
			h.OriginsRaw = append(h.OriginsRaw, caddyconfig.JSONModuleObject(unm, "source", source, nil))
		case "cache_control":
			if err := oneArg(d, &h.CacheControl); err != nil {
				return err
			}
		case "not_found_max_age":
			dur, err := durationArg(d)
			if err != nil {
				return err
			}
			h.NotFoundMaxAge = caddy.Duration(dur)
		default:
			return d.Errf("image_cdn: unknown subdirective %q", opt)
		}
	}
	return nil
}

// oneArg reads exactly one argument into dst.
func oneArg(d *caddyfile.Dispenser, dst *string) error {
	opt := d.Val()
	args := d.RemainingArgs()
	if len(args) != 1 {
		return d.Errf("%s: want exactly one value, got %d", opt, len(args))
	}
	*dst = args[0]
	return nil
}

func durationArg(d *caddyfile.Dispenser) (time.Duration, error) {
	opt := d.Val()
	var s string
	if err := oneArg(d, &s); err != nil {
		return 0, err
	}
	dur, err := caddy.ParseDuration(s)
	if err != nil {
		return 0, d.Errf("%s: %v", opt, err)
	}
	return dur, nil
}

func intArg(d *caddyfile.Dispenser, min int) (int, error) {
	opt := d.Val()
	var s string
	if err := oneArg(d, &s); err != nil {
		return 0, err
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < min {
		return 0, d.Errf("%s: want a whole number ≥ %d, got %q", opt, min, s)
	}
	return n, nil
}

// optionalBool reads a flag that may stand alone (true) or take true/false.
func optionalBool(d *caddyfile.Dispenser) (bool, error) {
	opt := d.Val()
	args := d.RemainingArgs()
	switch {
	case len(args) == 0:
		return true, nil
	case len(args) == 1:
		b, err := strconv.ParseBool(args[0])
		if err != nil {
			return false, d.Errf("%s: want true or false, got %q", opt, args[0])
		}
		return b, nil
	}
	return false, d.Errf("%s: takes at most one value", opt)
}

// Interface guard.
var _ caddyfile.Unmarshaler = (*Handler)(nil)
