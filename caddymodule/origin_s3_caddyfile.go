package caddymodule

import (
	"time"

	"github.com/caddyserver/caddy/v2"
	"github.com/caddyserver/caddy/v2/caddyconfig/caddyfile"
)

// UnmarshalCaddyfile parses
//
//	origin s3 [<name>] {
//		bucket            <bucket> | *
//		folder            <prefix>
//		endpoint          <url>
//		region            <region>
//		access_key_id     <id>
//		secret_access_key <secret>
//		session_token     <token>
//		path_style        [true|false]
//		canonical         <base-url>
//		timeout           <duration>    # wait for the origin's headers; default 10s
//		max_retries       <n>           # default 2
//		router {
//			pattern  <regex>
//			default  <bucket> [{ <bucket options> }]
//			fallback <bucket> [{ <bucket options> }]
//			rule     <match> <bucket> [{ <bucket options> }]
//			allow    <glob>...
//		}
//		router_config <file.yaml>
//	}
//
// where <bucket options> are region, endpoint, access_key_id,
// secret_access_key, session_token and path_style.
func (s *S3Origin) UnmarshalCaddyfile(d *caddyfile.Dispenser) error {
	d.Next() // "s3"
	switch args := d.RemainingArgs(); len(args) {
	case 0:
	case 1:
		s.OriginName = args[0]
	default:
		return d.Err("origin s3: want at most a name before the block")
	}
	own := map[string]*string{
		"bucket": &s.Bucket, "folder": &s.Folder, "canonical": &s.Canonical, "router_config": &s.RouterFile,
	}
	return s.S3Connection.unmarshalBlock(d, "origin s3", own, func(opt string) (bool, error) {
		if opt != "router" {
			return false, nil
		}
		var err error
		s.Router, err = parseRouter(d)
		return true, err
	})
}

// unmarshalBlock parses the block of an S3 origin or store (what names it
// in messages): each option at most once, the block's own single-value
// options (own), the connection options, then whatever more handles.
func (c *S3Connection) unmarshalBlock(d *caddyfile.Dispenser, what string, own map[string]*string, more func(opt string) (bool, error)) error {
	seen := map[string]bool{}
	for d.NextBlock(0) {
		opt := d.Val()
		if seen[opt] {
			return d.Errf("%s: %s specified more than once", what, opt)
		}
		seen[opt] = true
		if dst, ok := own[opt]; ok {
			if err := oneArg(d, dst); err != nil {
				return err
			}
			continue
		}
		ok, err := c.unmarshalOption(d, opt)
		if !ok && err == nil && more != nil {
			ok, err = more(opt)
		}
		if err != nil {
			return err
		}
		if !ok {
			return d.Errf("%s: unknown option %q", what, opt)
		}
	}
	return nil
}

// unmarshalOption parses one connection option (endpoint, region,
// access_key_id, secret_access_key, session_token, path_style, timeout,
// max_retries); false when opt is not one of them.
func (c *S3Connection) unmarshalOption(d *caddyfile.Dispenser, opt string) (bool, error) {
	strs := map[string]*string{
		"endpoint": &c.Endpoint, "region": &c.Region, "access_key_id": &c.AccessKeyID,
		"secret_access_key": &c.SecretAccessKey, "session_token": &c.SessionToken,
	}
	if dst, ok := strs[opt]; ok {
		return true, oneArg(d, dst)
	}
	var err error
	switch opt {
	case "path_style":
		c.PathStyle, err = optionalBool(d)
	case "timeout":
		var dur time.Duration
		dur, err = durationArg(d)
		c.Timeout = caddy.Duration(dur)
	case "max_retries":
		c.MaxRetries, err = intArg(d, 1)
	default:
		return false, nil
	}
	return true, err
}

func parseRouter(d *caddyfile.Dispenser) (*RouterConfig, error) {
	if d.NextArg() {
		return nil, d.Err("router: takes a block, not arguments")
	}
	rc := new(RouterConfig)
	for nesting := d.Nesting(); d.NextBlock(nesting); {
		switch opt := d.Val(); opt {
		case "pattern":
			if rc.Pattern != "" {
				return nil, d.Err("router: pattern specified more than once")
			}
			if err := oneArg(d, &rc.Pattern); err != nil {
				return nil, err
			}
		case "default":
			if rc.Default != nil {
				return nil, d.Err("router: default specified more than once")
			}
			b, err := parseRoutedBucket(d, opt)
			if err != nil {
				return nil, err
			}
			rc.Default = &b
		case "fallback":
			b, err := parseRoutedBucket(d, opt)
			if err != nil {
				return nil, err
			}
			rc.Fallbacks = append(rc.Fallbacks, b)
		case "rule":
			if !d.NextArg() {
				return nil, d.Err("router: rule needs <match> <bucket>")
			}
			match := d.Val()
			b, err := parseRoutedBucket(d, opt)
			if err != nil {
				return nil, err
			}
			rc.Rules = append(rc.Rules, RoutedRule{Match: match, Bucket: b})
		case "allow":
			globs := d.RemainingArgs()
			if len(globs) == 0 {
				return nil, d.Err("router: allow needs at least one bucket-name pattern")
			}
			rc.Allow = append(rc.Allow, globs...)
		default:
			return nil, d.Errf("router: unknown option %q", opt)
		}
	}
	return rc, nil
}

// parseRoutedBucket reads "<bucket> [{ <bucket options> }]" after what.
func parseRoutedBucket(d *caddyfile.Dispenser, what string) (RoutedBucket, error) {
	var b RoutedBucket
	if !d.NextArg() {
		return b, d.Errf("router: %s needs a bucket name", what)
	}
	b.Name = d.Val()
	if d.NextArg() {
		return b, d.Errf("router: %s: unexpected %q after the bucket name", what, d.Val())
	}
	strs := map[string]*string{
		"region": &b.Region, "endpoint": &b.Endpoint, "access_key_id": &b.AccessKeyID,
		"secret_access_key": &b.SecretAccessKey, "session_token": &b.SessionToken,
	}
	seen := map[string]bool{}
	for nesting := d.Nesting(); d.NextBlock(nesting); {
		opt := d.Val()
		if seen[opt] {
			return b, d.Errf("router: bucket %q: %s specified more than once", b.Name, opt)
		}
		seen[opt] = true
		if dst, ok := strs[opt]; ok {
			if err := oneArg(d, dst); err != nil {
				return b, err
			}
			continue
		}
		if opt != "path_style" {
			return b, d.Errf("router: bucket %q: unknown option %q (want region, endpoint, access_key_id, secret_access_key, session_token, path_style)", b.Name, opt)
		}
		v, err := optionalBool(d)
		if err != nil {
			return b, err
		}
		b.PathStyle = &v
	}
	return b, nil
}

// Interface guard.
var _ caddyfile.Unmarshaler = (*S3Origin)(nil)
