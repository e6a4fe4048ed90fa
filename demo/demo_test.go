// Package demo holds the demo page (index.html, served at /demo/ by
// Caddyfile.example) and the test that drives it in headless Chromium.
package demo

import (
	"context"
	"encoding/json"
	"fmt"
	"image"
	_ "image/jpeg" // DecodeConfig of the sample photos
	_ "image/png"  // and of the logo
	"math"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/caddyserver/caddy/v2"
	"github.com/caddyserver/caddy/v2/caddyconfig"
	_ "github.com/caddyserver/caddy/v2/caddyconfig/httpcaddyfile" // the caddyfile adapter
	_ "github.com/caddyserver/caddy/v2/modules/standard"
	cdplog "github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"

	_ "github.com/image-cdn/image_cdn"

	"github.com/image-cdn/image_cdn/internal/testenv"
)

// size is an image's width and height in pixels.
type size struct{ w, h int }

func (s size) String() string { return fmt.Sprintf("%d×%d", s.w, s.h) }

// round is ImageKit's pixel rounding: to nearest, at least 1.
func round(v float64) int { return max(int(math.Round(v)), 1) }

// The expected sizes, worked out here from the original's size and what
// each parameter means (DESIGN.md, ImageKit), never from the server.
func fitWidth(w int) func(size) size {
	return func(o size) size { return size{w, round(float64(o.h) * float64(w) / float64(o.w))} }
}
func fitHeight(h int) func(size) size {
	return func(o size) size { return size{round(float64(o.w) * float64(h) / float64(o.h)), h} }
}
func box(w, h int) func(size) size { return func(size) size { return size{w, h} } }
func inside(w, h int) func(size) size { // c-at_max: fit inside, never enlarge
	return func(o size) size {
		sc := math.Min(math.Min(float64(w)/float64(o.w), float64(h)/float64(o.h)), 1)
		return size{min(round(float64(o.w)*sc), w), min(round(float64(o.h)*sc), h)}
	}
}
func cover(w, h int) func(size) size { // c-at_least: cover the box, keep the ratio
	return func(o size) size {
		sc := math.Max(float64(w)/float64(o.w), float64(h)/float64(o.h))
		return size{round(float64(o.w) * sc), round(float64(o.h) * sc)}
	}
}
func extract(w, h int) func(size) size { // cm-extract: a piece, not resized
	return func(o size) size { return size{min(w, o.w), min(h, o.h)} }
}
func fraction(f float64) func(size) size {
	return func(o size) size { return fitWidth(round(float64(o.w) * f))(o) }
}
func turned(f func(size) size) func(size) size { // rt-90, rt-N90
	return func(o size) size { s := f(o); return size{s.h, s.w} }
}
func framed(f func(size) size, b int) func(size) size { // b-<b>_<colour>
	return func(o size) size { s := f(o); return size{s.w + 2*b, s.h + 2*b} }
}
func chain(fs ...func(size) size) func(size) size {
	return func(o size) size {
		for _, f := range fs {
			o = f(o)
		}
		return o
	}
}

const (
	sunset  = "photos/sunset.jpg"
	seeding = "photos/seeding.jpg"
	night   = "photos/umang%20(night).jpg"
	logo    = "logo.png"
)

// thumb is `named thumb w-160,h-160,fo-auto` in Caddyfile.example.
var thumb = box(160, 160)

// builderStart is the URL builder's first state (w 400, h 300, the rest default).
var builderStart = box(400, 300)

// expected lists every image the page shows: source, chain, size. The
// test fails on an image missing here as on one missing from the page.
var expected = []struct {
	src, tr string
	size    func(size) size
}{
	{sunset, "", chain()}, {seeding, "", chain()}, {night, "", chain()}, {logo, "", chain()},

	{sunset, "w-300", fitWidth(300)},
	{sunset, "w-300,h-300", box(300, 300)},
	{sunset, "w-300,h-300,c-force", box(300, 300)},
	{sunset, "w-300,h-300,c-at_max", inside(300, 300)},
	{sunset, "w-300,h-300,c-at_least", cover(300, 300)},
	{sunset, "w-300,h-300,cm-pad_resize,bg-F3F3F3", box(300, 300)},
	{sunset, "w-300,h-200,cm-extract", extract(300, 200)},
	{sunset, "w-0.25", fraction(0.25)},
	{sunset, "w-320,ar-16-9", box(320, 180)},

	{seeding, "w-200,h-300,fo-left", box(200, 300)},
	{seeding, "w-200,h-300", box(200, 300)},
	{seeding, "w-200,h-300,fo-right", box(200, 300)},
	{seeding, "w-200,h-300,fo-auto", box(200, 300)},
	{seeding, "w-300,h-300,cm-extract,fo-bottom_right", extract(300, 300)},

	{night, "w-300,rt-90", turned(fitWidth(300))},
	{night, "w-300,rt-180", fitWidth(300)},
	{night, "w-300,rt-N90", turned(fitWidth(300))},
	{night, "w-300,fl-h", fitWidth(300)},
	{night, "w-300,fl-v", fitWidth(300)},

	{sunset, "w-300,bl-8", fitWidth(300)},
	{sunset, "w-300,e-sharpen-20", fitWidth(300)},
	{sunset, "w-300,e-usm-2-2-0.8-0.024", fitWidth(300)},
	{sunset, "w-300,e-grayscale", fitWidth(300)},
	{sunset, "w-300,e-contrast", fitWidth(300)},

	{seeding, "w-300,r-24", fitWidth(300)},
	{seeding, "w-300,h-300,r-max", box(300, 300)},
	{seeding, "w-300,b-6_FF6600", framed(fitWidth(300), 6)},
	{seeding, "w-300,h-300,cm-pad_resize,bg-1E293B", box(300, 300)},
	{logo, "h-40,b-2_1E293B", framed(fitHeight(40), 2)},

	{seeding, "w-400", fitWidth(400)},
	{seeding, "w-400,f-jpg", fitWidth(400)},
	{seeding, "w-400,f-webp", fitWidth(400)},
	{seeding, "w-400,f-avif", fitWidth(400)},
	{seeding, "w-400,f-png", fitWidth(400)},
	{seeding, "w-400,q-30", fitWidth(400)},
	{seeding, "w-400,q-90", fitWidth(400)},
	{logo, "h-40,f-png", fitHeight(40)},
	{logo, "h-40,f-webp", fitHeight(40)},

	{sunset, "n-thumb", thumb},
	{night, "n-thumb", thumb},
	{logo, "n-thumb", thumb},
	{sunset, "w-400,h-300:rt-90", chain(box(400, 300), turned(chain()))},
	{sunset, "w-600:bl-6:w-300,r-20", chain(fitWidth(600), fitWidth(300))},

	{sunset, "w-300,h-200", box(300, 200)}, // the signed URL
	{sunset, "w-400,h-300", builderStart},
}

// chromium flags that work in a container, without a GPU, offline.
var chromiumFlags = []string{
	"headless", "no-sandbox", "disable-gpu", "disable-quic", "no-first-run",
	"disable-background-networking", "disable-component-update", "disable-sync",
}

// findChromium returns Debian's chromium (testenv: a failure under
// ./test.sh and CI, which install it; a skip elsewhere).
func findChromium(t *testing.T) string {
	t.Helper()
	return testenv.Program(t, "chromium", "chromium-browser")
}

// startCaddy loads Caddyfile.example in this process with two changes: the
// site listens on a free 127.0.0.1 port, and the samples and demo folders
// are absolute paths. The admin endpoint is off and nothing is persisted,
// so that the test leaves nothing behind and can run beside ./demo.sh.
func startCaddy(t *testing.T) string {
	t.Helper()
	root, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	raw, err := os.ReadFile(filepath.Join(root, "Caddyfile.example"))
	if err != nil {
		t.Fatal(err)
	}
	port := testenv.FreePort(t)
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	cf := string(raw)
	for _, r := range []struct {
		old, new string
		n        int // how many times Caddyfile.example says it
	}{
		{"http://localhost:8080 {", fmt.Sprintf("http://127.0.0.1:%d {", port), 1},
		{" ./samples\n", " " + filepath.Join(root, "samples") + "\n", 2},
		{"root * ./demo\n", "root * " + filepath.Join(root, "demo") + "\n", 1},
	} {
		if got := strings.Count(cf, r.old); got != r.n {
			t.Fatalf("Caddyfile.example has %q %d times, the test expects %d: update the test", r.old, got, r.n)
		}
		cf = strings.ReplaceAll(cf, r.old, r.new)
	}
	cfgJSON, warnings, err := caddyconfig.GetAdapter("caddyfile").Adapt([]byte(cf), nil)
	if err != nil {
		t.Fatalf("adapting Caddyfile.example: %v", err)
	}
	for _, w := range warnings {
		t.Logf("Caddyfile.example: %s", w)
	}
	var cfg map[string]any
	if err := json.Unmarshal(cfgJSON, &cfg); err != nil {
		t.Fatal(err)
	}
	// Listen on loopback only (the Caddyfile's site address makes Caddy
	// listen on every interface).
	servers := cfg["apps"].(map[string]any)["http"].(map[string]any)["servers"].(map[string]any)
	for _, srv := range servers {
		srv.(map[string]any)["listen"] = []string{addr}
	}
	cfg["admin"] = map[string]any{"disabled": true, "config": map[string]any{"persist": false}}
	cfg["logging"] = map[string]any{"logs": map[string]any{"default": map[string]any{"level": "WARN"}}}
	cfgJSON, err = json.Marshal(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := caddy.Load(cfgJSON, true); err != nil {
		t.Fatalf("loading Caddyfile.example: %v", err)
	}
	t.Cleanup(func() { _ = caddy.Stop() })
	deadline := time.Now().Add(10 * time.Second)
	for {
		c, err := net.Dial("tcp", addr)
		if err == nil {
			c.Close()
			return "http://" + addr
		}
		if time.Now().After(deadline) {
			t.Fatalf("caddy did not listen on %s: %v", addr, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// browserLog collects what the page did that a user would call an error,
// and every response it got.
type browserLog struct {
	mu        sync.Mutex
	problems  []string
	responses map[string]*network.Response // by URL
	requested []string
}

func (b *browserLog) listen(ev any) {
	b.mu.Lock()
	defer b.mu.Unlock()
	switch ev := ev.(type) {
	case *runtime.EventConsoleAPICalled:
		if ev.Type == runtime.ConsoleAPICalledTypeError || ev.Type == runtime.ConsoleAPICalledTypeWarning || ev.Type == runtime.ConsoleAPICalledTypeAssert {
			var args []string
			for _, a := range ev.Args {
				args = append(args, string(a.Value)+a.Description)
			}
			b.problems = append(b.problems, fmt.Sprintf("console.%s: %s", ev.Type, strings.Join(args, " ")))
		}
	case *runtime.EventExceptionThrown:
		d := ev.ExceptionDetails
		msg := d.Text
		if d.Exception != nil {
			msg += " " + d.Exception.Description
		}
		b.problems = append(b.problems, fmt.Sprintf("uncaught exception at %s:%d: %s", d.URL, d.LineNumber, msg))
	case *cdplog.EventEntryAdded:
		if ev.Entry.Level == cdplog.EntryLevelError || ev.Entry.Level == cdplog.EntryLevelWarning {
			b.problems = append(b.problems, fmt.Sprintf("browser log (%s): %s %s", ev.Entry.Source, ev.Entry.Text, ev.Entry.URL))
		}
	case *network.EventRequestWillBeSent:
		b.requested = append(b.requested, ev.Request.URL)
	case *network.EventLoadingFailed:
		// The URL builder aborts a preview the user has already changed.
		if !ev.Canceled {
			b.problems = append(b.problems, fmt.Sprintf("request failed: %s %s", ev.Type, ev.ErrorText))
		}
	case *network.EventResponseReceived:
		if ev.Response.Status >= 400 {
			b.problems = append(b.problems, fmt.Sprintf("HTTP %d for %s", ev.Response.Status, ev.Response.URL))
		}
		b.responses[ev.Response.URL] = ev.Response
	}
}

// pageImage is what the page says about one <img>.
type pageImage struct {
	Src, Tr       string
	Complete      bool
	Width, Height int
	Failed        bool
	Facts         string
}

const collectImages = `Array.from(document.images).map(i => ({
	Src: i.dataset.src || "", Tr: i.dataset.tr || "", Complete: i.complete,
	Width: i.naturalWidth, Height: i.naturalHeight,
	Failed: i.closest(".card").classList.contains("failed"),
	Facts: i.closest(".card").querySelector(".facts").innerText,
}))`

func TestDemoPageInChromium(t *testing.T) {
	chromium := findChromium(t)
	base := startCaddy(t)
	originals := originalSizes(t)
	ctx := startChromium(t, chromium)

	blog := &browserLog{responses: map[string]*network.Response{}}
	if err := chromedp.Listen(ctx, blog.listen); err != nil {
		t.Fatalf("starting chromium: %v", err)
	}
	err := chromedp.Do(ctx,
		chromedp.Navigate(base+"/demo/"),
		chromedp.Poll[chromedp.Void](`document.documentElement.dataset.ready === "true"`, chromedp.WithPollingTimeout(150*time.Second)),
	)
	if err != nil {
		t.Fatalf("loading the demo page: %v", err)
	}
	images, err := chromedp.Run(ctx, chromedp.Evaluate[[]pageImage](collectImages))
	if err != nil {
		t.Fatalf("reading the images: %v", err)
	}
	if shot := os.Getenv("DEMO_SCREENSHOT"); shot != "" {
		png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(shot, png, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	checkImages(t, images, originals)
	useBuilder(t, ctx, base, originals)

	blog.mu.Lock()
	defer blog.mu.Unlock()
	signed := 0
	for u, resp := range blog.responses {
		pu, err := url.Parse(u)
		if err != nil || pu.Scheme != "http" {
			continue // blob: URLs of fetched images
		}
		if strings.HasPrefix(pu.Path, "/signed/") {
			signed++
			if resp.Status != 200 {
				t.Errorf("signed URL %s: HTTP %d, want 200", u, resp.Status)
			}
		}
		if want := formatOf(pu.Path); want != "" && resp.MimeType != want {
			t.Errorf("%s: Content-Type %s, want %s", pu.Path, resp.MimeType, want)
		}
	}
	if signed != 1 {
		t.Errorf("the page requested %d signed URLs, want 1", signed)
	}
	for _, u := range blog.requested {
		if pu, err := url.Parse(u); err == nil && pu.Scheme != "blob" && pu.Scheme != "data" && pu.Host != strings.TrimPrefix(base, "http://") {
			t.Errorf("the page requested %s: it must load nothing but its own server", u)
		}
	}
	for _, p := range blog.problems {
		t.Errorf("browser: %s", p)
	}
}

// originalSizes reads the samples' sizes from their headers (Go's own
// decoders, not libvips).
func originalSizes(t *testing.T) map[string]size {
	t.Helper()
	originals := map[string]size{}
	for _, src := range []string{sunset, seeding, night, logo} {
		name, err := url.PathUnescape(src)
		if err != nil {
			t.Fatal(err)
		}
		f, err := os.Open(filepath.Join("..", "samples", filepath.FromSlash(name)))
		if err != nil {
			t.Fatal(err)
		}
		c, _, err := image.DecodeConfig(f)
		f.Close()
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		originals[src] = size{c.Width, c.Height}
	}
	return originals
}

// startChromium starts a headless chromium with a fresh profile that
// resolves no host name, so the page can reach nothing but 127.0.0.1.
func startChromium(t *testing.T, chromium string) context.Context {
	t.Helper()
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(chromium),
		chromedp.UserDataDir(t.TempDir()),
		// Chromium leaves its singleton socket in TMPDIR: keep it in the test's.
		chromedp.Env("TMPDIR=" + t.TempDir()),
		chromedp.WindowSize(1280, 900),
		chromedp.Flag("host-resolver-rules", "MAP * ~NOTFOUND, EXCLUDE 127.0.0.1"),
	}
	for _, f := range chromiumFlags {
		opts = append(opts, chromedp.Flag(f, true))
	}
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	t.Cleanup(cancelAlloc)
	ctx, cancel := chromedp.NewContext(allocCtx)
	t.Cleanup(cancel)
	ctx, cancelTimeout := context.WithTimeout(ctx, 3*time.Minute)
	t.Cleanup(cancelTimeout)
	return ctx
}

// checkImages: every image on the page is expected, loaded, and of the
// size its transformation gives.
func checkImages(t *testing.T, images []pageImage, originals map[string]size) {
	t.Helper()
	want := map[[2]string]size{}
	for _, e := range expected {
		want[[2]string{e.src, e.tr}] = e.size(originals[e.src])
	}
	seen := map[[2]string]bool{}
	for _, img := range images {
		key := [2]string{img.Src, img.Tr}
		seen[key] = true
		w, ok := want[key]
		switch {
		case !ok:
			t.Errorf("the page shows tr %q of %s, which the test does not expect: add it to expected", img.Tr, img.Src)
		case img.Failed || !img.Complete:
			t.Errorf("tr %q of %s did not load: %s", img.Tr, img.Src, img.Facts)
		case img.Width != w.w || img.Height != w.h:
			t.Errorf("tr %q of %s is %d×%d, want %s", img.Tr, img.Src, img.Width, img.Height, w)
		}
	}
	for key := range want {
		if !seen[key] {
			t.Errorf("the page does not show tr %q of %s", key[1], key[0])
		}
	}
}

// useBuilder changes the URL builder's fields as a user would and checks
// that the URL and the preview follow.
func useBuilder(t *testing.T, ctx context.Context, base string, originals map[string]size) {
	t.Helper()
	const tr = "w-250,h-300,c-at_max,f-webp"
	err := chromedp.Do(ctx,
		chromedp.SetValue(chromedp.ID("b-crop"), "c-at_max"),
		chromedp.SetValue(chromedp.ID("b-f"), "f-webp"),
		chromedp.Evaluate[chromedp.Void](`document.getElementById("b-w").value = ""`),
		chromedp.SendKeys(chromedp.ID("b-w"), "250"), // typing fires the input event
		chromedp.Poll[chromedp.Void](`(() => {
			const card = document.querySelector("#builder-card .card");
			return card.querySelector("img").dataset.tr === "`+tr+`" &&
				card.querySelector(".facts dt").textContent !== "loading";
		})()`, chromedp.WithPollingTimeout(60*time.Second)),
	)
	if err != nil {
		t.Fatalf("using the URL builder: %v", err)
	}
	built, err := chromedp.Run(ctx, chromedp.Evaluate[pageImage](`(`+collectImages+`).find(i => i.Tr === "`+tr+`")`))
	if err != nil {
		t.Fatalf("reading the builder preview: %v", err)
	}
	builtURL, err := chromedp.Run(ctx, chromedp.Text(chromedp.ID("builder-url")))
	if err != nil {
		t.Fatalf("reading the builder URL: %v", err)
	}
	if w := inside(250, 300)(originals[sunset]); built.Failed || built.Width != w.w || built.Height != w.h {
		t.Errorf("builder preview of %s: %d×%d (failed %v: %s), want %s", tr, built.Width, built.Height, built.Failed, built.Facts, w)
	}
	if want := base + "/demo/tr:" + tr + "/" + sunset; builtURL != want {
		t.Errorf("builder shows URL %q, want %q", builtURL, want)
	}
}

// formatOf is the Content-Type an image URL must get: f- forces one, no
// f- negotiates (WebP for Chromium's Accept, as the avif option is off),
// an original keeps its own. "" for anything else.
func formatOf(path string) string {
	for _, f := range []struct{ param, mime string }{
		{"f-webp", "image/webp"}, {"f-avif", "image/avif"}, {"f-png", "image/png"}, {"f-jpg", "image/jpeg"},
	} {
		if strings.Contains(path, f.param) {
			return f.mime
		}
	}
	switch {
	case strings.Contains(path, "/tr:"):
		return "image/webp"
	case strings.HasSuffix(path, ".jpg"):
		return "image/jpeg"
	case strings.HasSuffix(path, ".png"):
		return "image/png"
	}
	return ""
}
