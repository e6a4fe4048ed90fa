package caddymodule

// End-to-end tests of bucket routing (issue 4): the wildcard bucket and the
// imagor-compatible router, configured in the Caddyfile or through imagor's
// YAML file, through a real Caddy against real S3 servers (versitygw). The
// recording proxies in front of the servers show which server, bucket and
// key each request reached.

import (
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/image-cdn/image_cdn/internal/s3test"
)

// rtBucket is a bucket of a router configuration with its own options.
type rtBucket struct {
	Name, Endpoint, AccessKey, SecretKey string
	// PathStyle overrides the origin's style; the Caddyfile form only, as
	// imagor's YAML has no such key.
	PathStyle *bool
}

type rtRule struct {
	Match  string
	Bucket rtBucket
}

// rtConfig is one routing configuration, rendered either as the Caddyfile's
// router block or as imagor's YAML file.
type rtConfig struct {
	Pattern   string
	Default   *rtBucket
	Fallbacks []rtBucket
	Rules     []rtRule
	Allow     []string
}

func (b rtBucket) caddyfile() string {
	var opts []string
	if b.Endpoint != "" {
		opts = append(opts, "endpoint "+b.Endpoint)
	}
	if b.AccessKey != "" {
		opts = append(opts, "access_key_id "+b.AccessKey, "secret_access_key "+b.SecretKey)
	}
	if b.PathStyle != nil {
		opts = append(opts, fmt.Sprint("path_style ", *b.PathStyle))
	}
	if len(opts) == 0 {
		return b.Name
	}
	return b.Name + " {\n\t\t\t\t\t" + strings.Join(opts, "\n\t\t\t\t\t") + "\n\t\t\t\t}"
}

func (c rtConfig) caddyfile() string {
	lines := []string{"pattern `" + c.Pattern + "`"}
	if c.Default != nil {
		lines = append(lines, "default "+c.Default.caddyfile())
	}
	for _, f := range c.Fallbacks {
		lines = append(lines, "fallback "+f.caddyfile())
	}
	for _, r := range c.Rules {
		lines = append(lines, "rule "+r.Match+" "+r.Bucket.caddyfile())
	}
	if len(c.Allow) > 0 {
		lines = append(lines, "allow "+strings.Join(c.Allow, " "))
	}
	return "router {\n\t\t\t\t" + strings.Join(lines, "\n\t\t\t\t") + "\n\t\t\t}"
}

func yq(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }

func (b rtBucket) yaml(indent string) string {
	if b.PathStyle != nil {
		panic("path_style has no YAML form")
	}
	s := indent + "name: " + yq(b.Name) + "\n"
	if b.Endpoint != "" {
		s += indent + "endpoint: " + yq(b.Endpoint) + "\n"
	}
	if b.AccessKey != "" {
		s += indent + "access_key_id: " + yq(b.AccessKey) + "\n" + indent + "secret_access_key: " + yq(b.SecretKey) + "\n"
	}
	return s
}

// yaml renders imagor's bucket router file (allow has no YAML form).
func (c rtConfig) yaml() string {
	s := "routing_pattern: " + yq(c.Pattern) + "\n"
	if c.Default != nil {
		s += "default_bucket:\n" + c.Default.yaml("  ")
	}
	if len(c.Fallbacks) > 0 {
		s += "fallback_buckets:\n"
		for _, f := range c.Fallbacks {
			s += "  -" + strings.TrimPrefix(f.yaml("    "), "   ")
		}
	}
	if len(c.Rules) > 0 {
		s += "rules:\n"
		for _, r := range c.Rules {
			s += "  - match: " + yq(r.Match) + "\n    bucket:\n" + r.Bucket.yaml("      ")
		}
	}
	return s
}

// routedSite is a site with one `origin s3` whose connection settings
// (endpoint, credentials, style) are the enclosing ones the buckets inherit,
// and whose routing is cfg, as a Caddyfile router block (form "caddyfile")
// or as a YAML file written to a temporary directory (form "yaml").
func routedSite(t *testing.T, form, endpoint string, srv *s3test.Server, pathStyle bool, cfg rtConfig, extra ...string) string {
	t.Helper()
	routing := cfg.caddyfile()
	if form == "yaml" {
		if len(cfg.Allow) > 0 {
			t.Fatal("allow has no YAML form")
		}
		file := filepath.Join(t.TempDir(), "router.yaml")
		if err := os.WriteFile(file, []byte(cfg.yaml()), 0o644); err != nil {
			t.Fatal(err)
		}
		routing = "router_config " + file
	}
	if pathStyle {
		extra = append(extra, "path_style")
	}
	extra = append(extra, routing)
	return site(fmt.Sprintf("origin s3 routed {\n\t\t\tendpoint %s\n\t\t\taccess_key_id %s\n\t\t\tsecret_access_key %s\n\t\t\tmax_retries 1\n\t\t\t%s\n\t\t}",
		endpoint, srv.AccessKey, srv.SecretKey, strings.Join(extra, "\n\t\t\t")))
}

// style is an addressing style: the endpoint of a proxy in that style.
type style struct {
	name string
	path bool
}

var styles = []style{{"virtual-hosted", false}, {"path-style", true}}

func (s style) endpoint(p *s3test.Proxy) string {
	if s.path {
		return p.Endpoint()
	}
	return p.VirtualEndpoint()
}

// labeled is a recording proxy with a short name for its server.
type labeled struct {
	label string
	proxy *s3test.Proxy
}

// asked lists what the servers behind the proxies were asked since their
// last Reset, oldest first, as "<label> <METHOD> <bucket>:<key>"; the bucket
// is read from a virtual-hosted Host or, path-style, the first segment.
func asked(ps ...labeled) []string {
	type rec struct {
		at time.Time
		s  string
	}
	var all []rec
	for _, p := range ps {
		for _, r := range p.proxy.Requests() {
			host, _, _ := strings.Cut(r.Host, ":")
			bucket, key := "", strings.TrimPrefix(r.Path, "/")
			if b, ok := strings.CutSuffix(host, "."+s3test.DefaultVirtualDomain); ok {
				bucket = b
			} else {
				bucket, key, _ = strings.Cut(key, "/")
			}
			all = append(all, rec{r.Time, fmt.Sprintf("%s %s %s:%s", p.label, r.Method, bucket, key)})
		}
	}
	sort.SliceStable(all, func(i, j int) bool { return all[i].at.Before(all[j].at) })
	out := []string{}
	for _, r := range all {
		out = append(out, r.s)
	}
	return out
}

func resetAll(ps ...labeled) {
	for _, p := range ps {
		p.proxy.Reset()
	}
}

// outcome is what a client and the S3 servers saw of one request.
type outcome struct {
	Status  int
	Body    string
	IkError string
	Asked   []string
}

func (o outcome) String() string {
	return fmt.Sprintf("%d %q Ik-Error %q, S3 asked %q", o.Status, o.Body, o.IkError, o.Asked)
}

func fetch(t *testing.T, base, path string, ps ...labeled) outcome {
	t.Helper()
	return fetchMethod(t, "GET", base, path, ps...)
}

func fetchMethod(t *testing.T, method, base, path string, ps ...labeled) outcome {
	t.Helper()
	resetAll(ps...)
	resp, body := do(t, method, base, path)
	o := outcome{Status: resp.StatusCode, IkError: resp.Header.Get("Ik-Error"), Asked: asked(ps...)}
	if resp.StatusCode == 200 {
		o.Body = body
	}
	return o
}

// check compares an outcome with the expected status, body (200) or
// Ik-Error prefix (errors), and S3 requests.
func (o outcome) check(t *testing.T, status int, bodyOrCode string, askedWant ...string) {
	t.Helper()
	ok := o.Status == status
	if status == 200 {
		ok = ok && o.Body == bodyOrCode
	} else {
		ok = ok && strings.HasPrefix(o.IkError, bodyOrCode+" - ")
	}
	if askedWant == nil {
		askedWant = []string{}
	}
	if !ok || !reflect.DeepEqual(o.Asked, askedWant) {
		t.Errorf("got %v\nwant %d %q, S3 asked %q", o, status, bodyOrCode, askedWant)
	}
}

// TestRouterRulesDefaultFallbacks routes over two S3 servers with distinct
// credential sets: rule hits, the default bucket, both fallbacks, a miss in
// all three, and refusals (wrong secret, unknown key id) that give 502, stop
// the fallback chain and do not poison the other buckets. The same table
// runs through the Caddyfile router and through router_config, in both
// addressing styles, and the two forms must give identical outcomes.
func TestRouterRulesDefaultFallbacks(t *testing.T) {
	srvA := s3srv
	srvB := s3test.Start(t, s3test.Options{})
	for _, b := range []string{"rtf-rule-a", "rtf-def", "rtf-fb1"} {
		srvA.MakeBucket(t, b)
	}
	for _, b := range []string{"rtf-rule-b", "rtf-fb2", "rtf-bad"} {
		srvB.MakeBucket(t, b)
	}
	put := func(s *s3test.Server, bucket, key string) {
		s.Put(t, bucket, key, []byte(bucket+":"+key), "text/plain")
	}
	put(srvA, "rtf-rule-a", "only-a.txt")
	put(srvB, "rtf-rule-b", "only-b.txt")
	put(srvA, "rtf-def", "only-def.txt")
	put(srvA, "rtf-fb1", "in-fb1.txt")
	put(srvA, "rtf-fb1", "in-fbs.txt")
	put(srvB, "rtf-fb2", "in-fbs.txt")
	put(srvB, "rtf-fb2", "in-fb2.txt")
	put(srvB, "rtf-bad", "x.txt")
	put(srvA, "rtf-fb1", "x.txt") // must never be served for a refused request
	pA, pB := srvA.RecordingProxy(t), srvB.RecordingProxy(t)
	ps := []labeled{{"A", pA}, {"B", pB}}
	const wrongSecret = "WRONG-secret-never-shown-0123456789"

	for _, st := range styles {
		// Buckets on server A inherit the origin's endpoint and keys;
		// buckets on server B carry their own.
		onB := func(name string) rtBucket {
			return rtBucket{Name: name, Endpoint: st.endpoint(pB), AccessKey: srvB.AccessKey, SecretKey: srvB.SecretKey}
		}
		bad := onB("rtf-bad")
		bad.SecretKey = wrongSecret
		ghost := onB("rtf-bad")
		ghost.AccessKey = "NOSUCHUSER"
		cfg := rtConfig{
			Pattern:   `^(?P<bucket>[a-z]+)/(?P<path>.+)$`,
			Default:   &rtBucket{Name: "rtf-def"},
			Fallbacks: []rtBucket{{Name: "rtf-fb1"}, onB("rtf-fb2")},
			Rules: []rtRule{
				{"a", rtBucket{Name: "rtf-rule-a"}},
				{"b", onB("rtf-rule-b")},
				{"bad", bad},
				{"ghost", ghost},
			},
		}
		type row struct {
			name, path string
			status     int
			bodyOrCode string
			asked      []string
		}
		rows := []row{
			{"rule hit", "/a/only-a.txt", 200, "rtf-rule-a:only-a.txt", []string{"A GET rtf-rule-a:only-a.txt"}},
			{"rule hit, own server and keys", "/b/only-b.txt", 200, "rtf-rule-b:only-b.txt", []string{"B GET rtf-rule-b:only-b.txt"}},
			{"default, no rule for the capture", "/zz/only-def.txt", 200, "rtf-def:only-def.txt", []string{"A GET rtf-def:only-def.txt"}},
			{"rule match is exact, not a prefix", "/ab/only-def.txt", 200, "rtf-def:only-def.txt", []string{"A GET rtf-def:only-def.txt"}},
			{"default, pattern does not match", "/only-def.txt", 200, "rtf-def:only-def.txt", []string{"A GET rtf-def:only-def.txt"}},
			{"fallback one", "/zz/in-fb1.txt", 200, "rtf-fb1:in-fb1.txt",
				[]string{"A GET rtf-def:in-fb1.txt", "A GET rtf-fb1:in-fb1.txt"}},
			{"fallback two, own server and keys", "/zz/in-fb2.txt", 200, "rtf-fb2:in-fb2.txt",
				[]string{"A GET rtf-def:in-fb2.txt", "A GET rtf-fb1:in-fb2.txt", "B GET rtf-fb2:in-fb2.txt"}},
			{"fallbacks in order", "/zz/in-fbs.txt", 200, "rtf-fb1:in-fbs.txt",
				[]string{"A GET rtf-def:in-fbs.txt", "A GET rtf-fb1:in-fbs.txt"}},
			{"rule bucket then the fallbacks", "/b/in-fb2.txt", 200, "rtf-fb2:in-fb2.txt",
				[]string{"B GET rtf-rule-b:in-fb2.txt", "A GET rtf-fb1:in-fb2.txt", "B GET rtf-fb2:in-fb2.txt"}},
			{"miss in all three", "/zz/nowhere.txt", 404, "ENOENT",
				[]string{"A GET rtf-def:nowhere.txt", "A GET rtf-fb1:nowhere.txt", "B GET rtf-fb2:nowhere.txt"}},
			{"wrong secret is 502, no fallback", "/bad/x.txt", 502, "SignatureDoesNotMatch", []string{"B GET rtf-bad:x.txt"}},
			{"unknown key id is 502, no fallback", "/ghost/x.txt", 502, "XAdminUserNotFound", []string{"B GET rtf-bad:x.txt"}},
			{"others unharmed: rule on A", "/a/only-a.txt", 200, "rtf-rule-a:only-a.txt", []string{"A GET rtf-rule-a:only-a.txt"}},
			{"others unharmed: rule on B", "/b/only-b.txt", 200, "rtf-rule-b:only-b.txt", []string{"B GET rtf-rule-b:only-b.txt"}},
			{"others unharmed: fallback on B", "/zz/in-fb2.txt", 200, "rtf-fb2:in-fb2.txt",
				[]string{"A GET rtf-def:in-fb2.txt", "A GET rtf-fb1:in-fb2.txt", "B GET rtf-fb2:in-fb2.txt"}},
			{"refused again", "/bad/x.txt", 502, "SignatureDoesNotMatch", []string{"B GET rtf-bad:x.txt"}},
		}
		got := map[string][]outcome{}
		for _, form := range []string{"caddyfile", "yaml"} {
			t.Run(st.name+"/"+form, func(t *testing.T) {
				base := startCaddy(t, routedSite(t, form, st.endpoint(pA), srvA, st.path, cfg))
				for _, r := range rows {
					o := fetch(t, base, r.path, ps...)
					got[form] = append(got[form], o)
					t.Run(r.name, func(t *testing.T) {
						o.check(t, r.status, r.bodyOrCode, r.asked...)
						if strings.Contains(o.IkError, wrongSecret) || strings.Contains(o.IkError, srvB.SecretKey) {
							t.Errorf("a secret leaked into Ik-Error: %q", o.IkError)
						}
					})
				}
				// HEAD looks objects up (Stat) along the same chain and
				// stops at the same refusals.
				for _, h := range []struct {
					path   string
					status int
					asked  []string
				}{
					{"/b/only-b.txt", 200, []string{"B HEAD rtf-rule-b:only-b.txt"}},
					{"/zz/in-fb2.txt", 200, []string{"A HEAD rtf-def:in-fb2.txt", "A HEAD rtf-fb1:in-fb2.txt", "B HEAD rtf-fb2:in-fb2.txt"}},
					{"/zz/nowhere.txt", 404, []string{"A HEAD rtf-def:nowhere.txt", "A HEAD rtf-fb1:nowhere.txt", "B HEAD rtf-fb2:nowhere.txt"}},
					{"/bad/x.txt", 502, []string{"B HEAD rtf-bad:x.txt"}},
				} {
					if o := fetchMethod(t, "HEAD", base, h.path, ps...); o.Status != h.status || !reflect.DeepEqual(o.Asked, h.asked) {
						t.Errorf("HEAD %s: got %v\nwant %d, S3 asked %q", h.path, o, h.status, h.asked)
					}
				}
			})
		}
		if !reflect.DeepEqual(got["caddyfile"], got["yaml"]) {
			t.Errorf("%s: router_config and the Caddyfile router disagree:\ncaddyfile %v\nyaml      %v", st.name, got["caddyfile"], got["yaml"])
		}
	}
}

// TestRouterNoFallbackOnOtherErrors: only not-found moves on to the
// fallbacks; a 5xx or a timeout of the chosen bucket is the answer, and the
// fallback bucket, which has the object, is never asked.
func TestRouterNoFallbackOnOtherErrors(t *testing.T) {
	s3srv.MakeBucket(t, "rtn-main")
	s3srv.MakeBucket(t, "rtn-fb")
	s3srv.Put(t, "rtn-fb", "x.txt", []byte("fallback"), "text/plain")
	good, flaky := s3srv.RecordingProxy(t), s3srv.RecordingProxy(t)
	ps := []labeled{{"good", good}, {"flaky", flaky}}
	cfg := rtConfig{
		Pattern:   `^(?P<bucket>[a-z]+)/`,
		Default:   &rtBucket{Name: "rtn-main", Endpoint: flaky.Endpoint()},
		Fallbacks: []rtBucket{{Name: "rtn-fb"}},
	}
	base := startCaddy(t, routedSite(t, "caddyfile", good.Endpoint(), s3srv, true, cfg, "timeout 300ms"))

	fetch(t, base, "/x.txt", ps...).check(t, 200, "fallback", "flaky GET rtn-main:x.txt", "good GET rtn-fb:x.txt")

	flaky.SetStatus(503)
	o := fetch(t, base, "/x.txt", ps...)
	if o.Status != 502 || strings.Contains(strings.Join(o.Asked, ","), "good") || len(o.Asked) == 0 {
		t.Errorf("5xx: got %v, want 502 and only the flaky bucket asked", o)
	}
	flaky.SetStatus(0)

	flaky.SetDelay(3 * time.Second)
	o = fetch(t, base, "/x.txt", ps...)
	if o.Status != 504 || strings.Contains(strings.Join(o.Asked, ","), "good") {
		t.Errorf("timeout: got %v, want 504 and only the flaky bucket asked", o)
	}
	flaky.SetDelay(0)
}

// TestRouterPerBucketPathStyle: a bucket's own path_style overrides the
// origin's addressing style, either way.
func TestRouterPerBucketPathStyle(t *testing.T) {
	for _, b := range []string{"rts-own", "rts-inherit"} {
		s3srv.MakeBucket(t, b)
		s3srv.Put(t, b, "k.txt", []byte(b), "text/plain")
	}
	p := s3srv.RecordingProxy(t)
	vhost := func(b string) string { return fmt.Sprintf("%s.localhost:%d", b, p.Port) }
	path := fmt.Sprintf("localhost:%d", p.Port)
	for _, originPath := range []bool{false, true} {
		t.Run(fmt.Sprint("origin path_style=", originPath), func(t *testing.T) {
			own := !originPath
			cfg := rtConfig{
				Pattern: `^(?P<bucket>[a-z]+)/(?P<path>.+)$`,
				Rules: []rtRule{
					{"own", rtBucket{Name: "rts-own", PathStyle: &own}},
					{"inherit", rtBucket{Name: "rts-inherit"}},
				},
			}
			// localhost:PORT serves both styles: versitygw reads the
			// bucket from "<bucket>.localhost" hosts only.
			base := startCaddy(t, routedSite(t, "caddyfile", p.VirtualEndpoint(), s3srv, originPath, cfg))
			for _, tc := range []struct {
				path, body string
				pathStyle  bool
			}{
				{"/own/k.txt", "rts-own", own},
				{"/inherit/k.txt", "rts-inherit", originPath},
			} {
				o := fetch(t, base, tc.path, labeled{"S", p})
				reqs := p.Requests()
				if o.Status != 200 || o.Body != tc.body || len(reqs) != 1 {
					t.Errorf("GET %s: %v", tc.path, o)
					continue
				}
				wantHost, wantPath := vhost(tc.body), "/k.txt"
				if tc.pathStyle {
					wantHost, wantPath = path, "/"+tc.body+"/k.txt"
				}
				if reqs[0].Host != wantHost || reqs[0].Path != wantPath {
					t.Errorf("GET %s: S3 saw Host %q path %q, want %q %q", tc.path, reqs[0].Host, reqs[0].Path, wantHost, wantPath)
				}
			}
		})
	}
}

// issueTable is the table of issue 4: pattern, example key, captured
// bucket value, S3 key.
var issueTable = []struct {
	pattern, key, captured, s3key string
	passthroughOnly               bool
}{
	{`^[a-f0-9]{4}-(?P<bucket>[A-Z]{2})-`, "f7a3-SG-image.jpg", "SG", "f7a3-SG-image.jpg", false},
	{`^(?P<bucket>[^/]+)/`, "users/photo.jpg", "users", "users/photo.jpg", false},
	{`(?P<bucket>[a-z]{2}-[a-z]+-\d)`, "eu-west-1-img.jpg", "eu-west-1", "eu-west-1-img.jpg", false},
	{`^(?P<bucket>mysite-[a-z]+)\/(?P<path>.+)$`, "mysite-test/images/photo.jpg", "mysite-test", "images/photo.jpg", false},
	{`^(?P<bucket>[^/]+)\/(?P<path>.+)$`, "any-bucket/images/photo.jpg", "any-bucket", "images/photo.jpg", true},
}

// TestRouterIssueTable routes every row of issue 4's table end to end, on
// a server of its own (the rows' bucket names are generic): in passthrough
// the captured value is the bucket ("SG" is no bucket name: 404 without a
// request), and with rules it is mapped to a real bucket ("SG" →
// "sg-images"). Every case runs in the Caddyfile and the YAML form, in both
// addressing styles.
func TestRouterIssueTable(t *testing.T) {
	srv := s3test.Start(t, s3test.Options{})
	p := srv.RecordingProxy(t)
	ps := []labeled{{"S", p}}
	srv.MakeBucket(t, "table-default")
	for i, row := range issueTable {
		if row.captured != "SG" {
			srv.MakeBucket(t, row.captured)
			srv.Put(t, row.captured, row.s3key, []byte("passthrough "+row.key), "image/jpeg")
		}
		mapped := fmt.Sprintf("mapped-row%d", i+1)
		if row.captured == "SG" {
			mapped = "sg-images"
		}
		srv.MakeBucket(t, mapped)
		srv.Put(t, mapped, row.s3key, []byte("rule "+row.key), "image/jpeg")
	}

	for i, row := range issueTable {
		variants := []string{"passthrough", "rules"}
		if row.passthroughOnly {
			variants = variants[:1]
		}
		for _, variant := range variants {
			cfg := rtConfig{Pattern: row.pattern}
			bucket, body := row.captured, "passthrough "+row.key
			if variant == "rules" {
				bucket = fmt.Sprintf("mapped-row%d", i+1)
				if row.captured == "SG" {
					bucket = "sg-images"
				}
				body = "rule " + row.key
				cfg.Default = &rtBucket{Name: "table-default"}
				cfg.Rules = []rtRule{{"other", rtBucket{Name: "table-default"}}, {row.captured, rtBucket{Name: bucket}}}
			}
			for _, st := range styles {
				for _, form := range []string{"caddyfile", "yaml"} {
					t.Run(fmt.Sprintf("%s/%s/%s/%s", row.key, variant, st.name, form), func(t *testing.T) {
						base := startCaddy(t, routedSite(t, form, st.endpoint(p), srv, st.path, cfg))
						o := fetch(t, base, "/"+row.key, ps...)
						if variant == "passthrough" && row.captured == "SG" {
							o.check(t, 404, "ENOENT") // no S3 request
							return
						}
						o.check(t, 200, body, "S GET "+bucket+":"+row.s3key)
					})
				}
			}
		}
	}
}

// TestRouterPassthrough: no rules and no default, the captured value is the
// bucket. A name S3 would refuse, or one outside the allow list, is 404
// without any request to S3.
func TestRouterPassthrough(t *testing.T) {
	for _, b := range []string{"rtp-one", "rtp-two"} {
		s3srv.MakeBucket(t, b)
		s3srv.Put(t, b, "images/photo.jpg", []byte(b+" photo"), "image/jpeg")
	}
	p := s3srv.RecordingProxy(t)
	ps := []labeled{{"S", p}}
	pattern := `^(?P<bucket>[^/]+)\/(?P<path>.+)$`
	noRequest := []string{
		"/Rtp-One/images/photo.jpg", // uppercase
		"/rtp_one/images/photo.jpg", // underscore
		"/ab/images/photo.jpg",      // too short
		"/192.168.1.10/x.jpg",       // IP-shaped
		"/rtp..one/x.jpg",           // double dot
		"/-rtp-one/x.jpg",           // leading hyphen
		"/xn--rtp/x.jpg",            // reserved prefix
		"/" + strings.Repeat("a", 64) + "/x.jpg",
		"/rtp-one",  // pattern does not match: no key
		"/rtp-one/", // nor here
	}
	for _, st := range styles {
		t.Run(st.name, func(t *testing.T) {
			base := startCaddy(t, routedSite(t, "caddyfile", st.endpoint(p), s3srv, st.path, rtConfig{Pattern: pattern}))
			fetch(t, base, "/rtp-one/images/photo.jpg", ps...).check(t, 200, "rtp-one photo", "S GET rtp-one:images/photo.jpg")
			fetch(t, base, "/rtp-two/images/photo.jpg", ps...).check(t, 200, "rtp-two photo", "S GET rtp-two:images/photo.jpg")
			fetch(t, base, "/rtp-one/nothing.jpg", ps...).check(t, 404, "ENOENT", "S GET rtp-one:nothing.jpg")
			fetch(t, base, "/rtp-none/x.jpg", ps...).check(t, 404, "ENOENT", "S GET rtp-none:x.jpg") // NoSuchBucket
			for _, path := range noRequest {
				fetch(t, base, path, ps...).check(t, 404, "ENOENT")
			}
		})
	}
	t.Run("allow", func(t *testing.T) {
		cfg := rtConfig{Pattern: pattern, Allow: []string{"rtp-o*", "rtp-exact"}}
		base := startCaddy(t, routedSite(t, "caddyfile", p.VirtualEndpoint(), s3srv, false, cfg))
		fetch(t, base, "/rtp-one/images/photo.jpg", ps...).check(t, 200, "rtp-one photo", "S GET rtp-one:images/photo.jpg")
		// Valid, existing, but not allowed.
		fetch(t, base, "/rtp-two/images/photo.jpg", ps...).check(t, 404, "ENOENT")
		fetch(t, base, "/rtp-exactly/images/photo.jpg", ps...).check(t, 404, "ENOENT")
		fetch(t, base, "/Rtp-one/images/photo.jpg", ps...).check(t, 404, "ENOENT")
	})
	t.Run("folder and escaped keys", func(t *testing.T) {
		s3srv.Put(t, "rtp-one", "images/a b+c%.jpg", []byte("escaped"), "image/jpeg")
		base := startCaddy(t, routedSite(t, "caddyfile", p.VirtualEndpoint(), s3srv, false, rtConfig{Pattern: pattern}, "folder /images/"))
		fetch(t, base, "/rtp-one/photo.jpg", ps...).check(t, 200, "rtp-one photo", "S GET rtp-one:images/photo.jpg")
		fetch(t, base, "/rtp-one/a%20b+c%25.jpg", ps...).check(t, 200, "escaped", "S GET rtp-one:images/a b+c%.jpg")
	})
	t.Run("yaml", func(t *testing.T) {
		base := startCaddy(t, routedSite(t, "yaml", p.Endpoint(), s3srv, true, rtConfig{Pattern: pattern}))
		fetch(t, base, "/rtp-two/images/photo.jpg", ps...).check(t, 200, "rtp-two photo", "S GET rtp-two:images/photo.jpg")
		fetch(t, base, "/rtp_two/images/photo.jpg", ps...).check(t, 404, "ENOENT")
	})
}

// TestWildcardBucket: `bucket *` takes the bucket from the first segment.
func TestWildcardBucket(t *testing.T) {
	srv := s3test.Start(t, s3test.Options{Buckets: []string{"mysite-test"}})
	srv.Put(t, "mysite-test", "images/photo.jpg", []byte("root photo"), "image/jpeg")
	srv.Put(t, "mysite-test", "base/images/photo.jpg", []byte("folder photo"), "image/jpeg")
	p := srv.RecordingProxy(t)
	ps := []labeled{{"S", p}}
	noRequest := []string{
		"/MySite-Test/images/photo.jpg", "/my_site/images/photo.jpg", "/ab/photo.jpg", "/10.0.0.1/photo.jpg",
		"/mysite-test", "/mysite-test/", "/", "/photo.jpg",
	}
	for _, st := range styles {
		for _, tc := range []struct{ folder, body, key string }{
			{"", "root photo", "images/photo.jpg"},
			{"/base/", "folder photo", "base/images/photo.jpg"},
		} {
			t.Run(st.name+"/folder="+tc.folder, func(t *testing.T) {
				lines := []string{"bucket *"}
				if tc.folder != "" {
					lines = append(lines, "folder "+tc.folder)
				}
				if st.path {
					lines = append(lines, "path_style")
				}
				base := startCaddy(t, site(fmt.Sprintf("origin s3 wild {\n\t\t\tendpoint %s\n\t\t\taccess_key_id %s\n\t\t\tsecret_access_key %s\n\t\t\t%s\n\t\t}",
					st.endpoint(p), srv.AccessKey, srv.SecretKey, strings.Join(lines, "\n\t\t\t"))))
				fetch(t, base, "/mysite-test/images/photo.jpg", ps...).check(t, 200, tc.body, "S GET mysite-test:"+tc.key)
				fetch(t, base, "/mysite-test/missing.jpg", ps...).check(t, 404, "ENOENT", "S GET mysite-test:"+strings.TrimSuffix(tc.key, "images/photo.jpg")+"missing.jpg")
				fetch(t, base, "/no-such-bucket/images/photo.jpg", ps...).check(t, 404, "ENOENT", "S GET no-such-bucket:"+tc.key)
				for _, path := range noRequest {
					fetch(t, base, path, ps...).check(t, 404, "ENOENT")
				}
			})
		}
	}
}

// TestRouterConfigErrors: a bad routing configuration fails at load time
// with a message naming the file, key or pattern.
func TestRouterConfigErrors(t *testing.T) {
	dir := t.TempDir()
	write := func(name, content string) string {
		f := filepath.Join(dir, name)
		if err := os.WriteFile(f, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
		return f
	}
	noGroup := `^(?P<tenant>[^/]+)/(?P<path>.+)$`
	origin := func(lines ...string) string {
		return site(s3Block("bad", s3srv.Endpoint(), append([]string{"path_style"}, lines...)...))
	}
	missing := filepath.Join(dir, "does-not-exist.yaml")
	unknown := write("unknown.yaml", "routing_pattern: '^(?P<bucket>[^/]+)/'\ndefault_bucket:\n  name: rte-default\nrules:\n  - prefix: users\n    bucket:\n      name: rte-users\n")
	unknownTop := write("unknown-top.yaml", "routing_pattern: '^(?P<bucket>[^/]+)/'\nbucket_prefix: x\n")
	yamlNoGroup := write("nogroup.yaml", "routing_pattern: '"+noGroup+"'\ndefault_bucket:\n  name: rte-default\n")
	tests := []struct {
		name, site string
		want       []string
	}{
		{"missing file", origin("router_config " + missing), []string{missing}},
		{"unknown key in a rule", origin("router_config " + unknown), []string{unknown, `"prefix"`}},
		{"unknown top-level key", origin("router_config " + unknownTop), []string{unknownTop, `"bucket_prefix"`}},
		{"yaml pattern without bucket group", origin("router_config " + yamlNoGroup), []string{yamlNoGroup, noGroup}},
		{"caddyfile pattern without bucket group", origin(rtConfig{Pattern: noGroup, Default: &rtBucket{Name: "rte-default"}}.caddyfile()), []string{noGroup}},
		{"three fallbacks", origin(rtConfig{Pattern: `^(?P<bucket>[^/]+)/`, Fallbacks: []rtBucket{{Name: "rte-a"}, {Name: "rte-b"}, {Name: "rte-c"}}}.caddyfile()), []string{"at most 2"}},
		{"invalid bucket name in a rule", origin(rtConfig{Pattern: `^(?P<bucket>[^/]+)/`, Rules: []rtRule{{"SG", rtBucket{Name: "SG"}}}}.caddyfile()), []string{`"SG"`}},
		{"bucket and router", origin("bucket rte-x", rtConfig{Pattern: `^(?P<bucket>[^/]+)/`}.caddyfile()), []string{"exactly one of"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := loadError(t, tt.site)
			if err == nil {
				t.Fatalf("loaded without error:\n%s", tt.site)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error does not name %s:\n%v", w, err)
				}
			}
		})
	}
}
