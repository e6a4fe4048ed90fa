package caddymodule

import (
	"strconv"
	"strings"
	"time"

	"github.com/dustin/go-humanize"

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
//
//		sign_key <key>               # repeatable (rotation); unsigned URLs then get 401
//		named <name> <chain>         # tr:n-<name>; repeatable
//		restrict_unnamed [bool]      # only n-<name> chains
//		avif [bool]                  # negotiate AVIF for browsers that accept it
//
//		workers <n>                  # transforms at once; default: CPUs
//		queue <n>                    # waiting beyond workers before 503; default 4×workers, 0: none
//		transform_timeout <duration> # default 30s
//		max_source_bytes <size>      # default 64MiB
//		max_source_pixels <n>        # default 100000000 (100 MP); "100MP" also reads
//		max_output_dimension <px>    # default 16384
//		max_frames <n>               # default 256
//		max_steps <n>                # steps in one chain; default 20
//		max_cost <n>                 # estimated cost of one chain; default 80
//		memory_budget <size>         # memory all running transforms may hold; default 1GiB
//
//		result_storage s3 { … } | file <dir>
//		source_storage s3 { … } | file <dir>   # originals from remote origins
//		rewrite cloudinary | imgix   # other CDNs' URLs onto the same pipeline
//		memory_cache <size>          # e.g. 256MiB; default off
//		check_source [bool]          # regenerate stored variants whose source changed
//
//		tenant <domain>… { <options above> }  # repeatable: dispatched by Host
//		tenants_file <file.yaml>               # more tenants, read at each config load
//	}
func (h *Handler) UnmarshalCaddyfile(d *caddyfile.Dispenser) error {
	d.Next() // directive name
	if d.NextArg() {
		return d.ArgErr()
	}
	return h.unmarshalOptions(d)
}

// unmarshalOptions parses the block of handler options that follows the
// cursor: image_cdn's own, or a tenant's.
func (h *Handler) unmarshalOptions(d *caddyfile.Dispenser) error {
	var err error
	seen := map[string]bool{}
	repeatable := map[string]bool{"origin": true, "sign_key": true, "named": true, "tenant": true}
	for nesting := d.Nesting(); d.NextBlock(nesting); {
		opt := d.Val()
		if !repeatable[opt] {
			if seen[opt] {
				return d.Errf("image_cdn: %s specified more than once", opt)
			}
			seen[opt] = true
		}
		switch opt {
		case "origin":
			if !d.NextArg() {
				return d.Err("image_cdn: origin needs a type (s3, file, web or web_proxy)")
			}
			source := d.Val()
			modID := "http.handlers.image_cdn.origins." + source
			if _, err := caddy.GetModule(modID); err != nil {
				return d.Errf("image_cdn: unknown origin type %q (want s3, file, web or web_proxy)", source)
			}
			unm, err := caddyfile.UnmarshalModule(d, modID)
			if err != nil {
				return err
			}
			h.OriginsRaw = append(h.OriginsRaw, caddyconfig.JSONModuleObject(unm, "source", source, nil))
		case "rewrite":
			if err := oneArg(d, &h.Rewrite); err != nil {
				return err
			}
			if err := validRewrite(h.Rewrite); err != nil {
				return d.Err(err.Error())
			}
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
		case "sign_key":
			var k string
			if err := oneArg(d, &k); err != nil {
				return err
			}
			h.SignKeys = append(h.SignKeys, k)
		case "named":
			args := d.RemainingArgs()
			if len(args) != 2 {
				return d.Err("named: want <name> <transformation>")
			}
			if h.Named == nil {
				h.Named = map[string]string{}
			}
			if _, dup := h.Named[args[0]]; dup {
				return d.Errf("named: %q defined more than once", args[0])
			}
			h.Named[args[0]] = args[1]
		case "restrict_unnamed":
			if h.RestrictUnnamed, err = optionalBool(d); err != nil {
				return err
			}
		case "avif":
			if h.AVIF, err = optionalBool(d); err != nil {
				return err
			}
		case "check_source":
			if h.CheckSource, err = optionalBool(d); err != nil {
				return err
			}
		case "workers":
			n, err := intArg(d, 1)
			if err != nil {
				return err
			}
			h.Workers = n
		case "queue":
			n, err := intArg(d, 0)
			if err != nil {
				return err
			}
			h.Queue = &n
		case "transform_timeout":
			dur, err := durationArg(d)
			if err != nil {
				return err
			}
			h.TransformTimeout = caddy.Duration(dur)
		case "max_source_bytes":
			if h.MaxSourceBytes, err = sizeArg(d); err != nil {
				return err
			}
		case "memory_cache":
			if h.MemoryCache, err = sizeArg(d); err != nil {
				return err
			}
		case "max_source_pixels":
			var v string
			if err := oneArg(d, &v); err != nil {
				return err
			}
			mp, isMP := strings.CutSuffix(strings.ToUpper(v), "MP")
			n, err := strconv.ParseInt(mp, 10, 64)
			if err != nil || n < 1 {
				return d.Errf("max_source_pixels: want a pixel count such as 100000000 or 100MP, got %q", v)
			}
			if isMP {
				n *= 1_000_000
			}
			h.MaxSourcePixels = n
		case "max_output_dimension":
			if h.MaxOutputDimension, err = intArg(d, 1); err != nil {
				return err
			}
		case "max_frames":
			if h.MaxFrames, err = intArg(d, 1); err != nil {
				return err
			}
		case "max_steps":
			if h.MaxSteps, err = intArg(d, 1); err != nil {
				return err
			}
		case "max_cost":
			if h.MaxCost, err = intArg(d, 1); err != nil {
				return err
			}
		case "memory_budget":
			if h.MemoryBudget, err = sizeArg(d); err != nil {
				return err
			}
		case "result_storage", "source_storage":
			if !d.NextArg() {
				return d.Errf("%s: needs a type (s3 or file)", opt)
			}
			backend := d.Val()
			modID := "http.handlers.image_cdn." + opt + "." + backend
			if _, err := caddy.GetModule(modID); err != nil {
				return d.Errf("%s: unknown type %q (want s3 or file)", opt, backend)
			}
			unm, err := caddyfile.UnmarshalModule(d, modID)
			if err != nil {
				return err
			}
			raw := caddyconfig.JSONModuleObject(unm, "backend", backend, nil)
			if opt == "source_storage" {
				h.SourceStorageRaw = raw
			} else {
				h.ResultStorageRaw = raw
			}
		case "tenant":
			t, err := unmarshalTenant(d)
			if err != nil {
				return err
			}
			h.Tenants = append(h.Tenants, t)
		case "tenants_file":
			if err := oneArg(d, &h.TenantsFile); err != nil {
				return err
			}
		default:
			return d.Errf("image_cdn: unknown subdirective %q", opt)
		}
	}
	return nil
}

// sizeArg reads a byte size such as 64MiB, 1GB or 1048576.
func sizeArg(d *caddyfile.Dispenser) (int64, error) {
	opt := d.Val()
	var v string
	if err := oneArg(d, &v); err != nil {
		return 0, err
	}
	n, err := humanize.ParseBytes(v)
	if err != nil || n == 0 || n > 1<<50 {
		return 0, d.Errf("%s: want a size such as 64MiB, got %q", opt, v)
	}
	return int64(n), nil
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
