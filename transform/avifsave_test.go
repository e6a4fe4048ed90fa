package transform

import (
	"bytes"
	"math"
	"testing"

	"github.com/davidbyttow/govips/v2/vips"
)

// av1Chroma reads the chroma subsampling from an AVIF's colour av1C box
// (an alpha plane has its own, monochrome one): "420", "422", "444", or ""
// when there is none.
func av1Chroma(b []byte) string {
	for off := 0; ; {
		i := bytes.Index(b[off:], []byte("av1C"))
		if i < 0 || off+i+7 > len(b) {
			return ""
		}
		flags := b[off+i+6]
		off += i + 4
		if flags>>4&1 == 1 { // monochrome
			continue
		}
		switch x, y := flags>>3&1, flags>>2&1; {
		case x == 1 && y == 1:
			return "420"
		case x == 1:
			return "422"
		}
		return "444"
	}
}

func TestSaveAVIF(t *testing.T) {
	for _, tt := range []struct {
		name       string
		alpha      bool
		q          int
		lossless   bool
		wantChroma string
	}{
		{"rgb q80", false, 80, false, "420"},
		{"rgb q90 keeps full chroma", false, 90, false, "444"},
		{"rgba q60", true, 60, false, "420"},
		{"rgb lossless", false, 80, true, "444"},
		{"rgba lossless", true, 80, true, "444"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			img := photoLike(t, 240, 160, tt.alpha)
			defer img.Close()
			if !avifDirect(img) {
				t.Fatal("an 8-bit sRGB image should take the direct path")
			}
			got, threads, err := saveAVIF(img, tt.q, tt.lossless)
			must(t, err)
			if threads != 1 {
				t.Errorf("encoder threads = %d, want 1 (libvips' concurrency)", threads)
			}
			if c := av1Chroma(got); c != tt.wantChroma {
				t.Errorf("chroma %q, want %q", c, tt.wantChroma)
			}
			g := decode(t, got)
			if g.format != vips.ImageTypeAVIF || g.img.Width() != 240 || g.img.Height() != 160 ||
				g.img.Bands() != img.Bands() || g.img.HasAlpha() != tt.alpha {
				t.Fatalf("got %v %dx%d with %d bands, want AVIF 240x160 with %d", g.format,
					g.img.Width(), g.img.Height(), g.img.Bands(), img.Bands())
			}
			if g.img.HasExif() || g.img.HasICCProfile() {
				t.Error("metadata in a stripped file")
			}
			if tt.lossless {
				if d := meanAbsDiff(t, g.img, img); d != 0 {
					t.Errorf("lossless pixels differ from the source by %.3f on average", d)
				}
				return
			}
			if d := meanAbsDiff(t, g.img, img); d > 3 {
				t.Errorf("pixels differ from the source by %.2f on average", d)
			}
			// Lossy files are libvips' own heifsave's, but for the threads:
			// the same chroma, nearly the same pixels and size.
			want, _, err := img.ExportAvif(&vips.AvifExportParams{
				StripMetadata: true, Quality: tt.q, Bitdepth: 8, Effort: avifEffort,
			})
			must(t, err)
			if c := av1Chroma(want); c != tt.wantChroma {
				t.Fatalf("libvips wrote chroma %q: the test's expectation is wrong", c)
			}
			if d := meanAbsDiff(t, g.img, decode(t, want).img); d > 0.5 {
				t.Errorf("pixels differ from libvips' AVIF by %.2f on average", d)
			}
			if r := float64(len(got)) / float64(len(want)); math.Abs(r-1) > 0.05 {
				t.Errorf("%d bytes against libvips' %d", len(got), len(want))
			}
		})
	}
}

// Images the direct path does not take go through libvips' heifsave,
// which converts them (and attaches metadata, which save decides).
func TestAVIFDirectOnlyFor8BitRGB(t *testing.T) {
	rgb := photoLike(t, 64, 48, false)
	grey, err := rgb.Copy()
	must(t, err)
	must(t, grey.ToColorSpace(vips.InterpretationBW))
	wide, err := rgb.Copy()
	must(t, err)
	must(t, wide.Cast(vips.BandFormatUshort))
	pages, err := rgb.Copy()
	must(t, err)
	must(t, pages.SetPageHeight(24))
	lab, err := rgb.Copy()
	must(t, err)
	must(t, lab.ToColorSpace(vips.InterpretationLAB))
	must(t, lab.Cast(vips.BandFormatUchar))
	for name, img := range map[string]*vips.ImageRef{"grey": grey, "16-bit": wide, "two pages": pages, "8-bit Lab": lab} {
		if avifDirect(img) {
			t.Errorf("%s: took the direct path", name)
		}
	}
	// And through the pipeline: a grey source still becomes an AVIF.
	d := decode(t, process(t, encodeWith(t, grey, PNG), "w-32", AVIF).Body)
	if d.format != vips.ImageTypeAVIF || d.img.Width() != 32 {
		t.Errorf("grey source: %v %d wide", d.format, d.img.Width())
	}
}

// A killed pipeline fails the save instead of writing a partial file.
func TestSaveAVIFKilled(t *testing.T) {
	src := fromBytes(t, encodeWith(t, photoLike(t, 400, 300, false), JPEG))
	var r roots
	r.add(src)
	defer r.release()
	img, err := src.Copy()
	must(t, err)
	must(t, img.Resize(0.5, vips.KernelLanczos3))
	r.kill()
	if out, _, err := saveAVIF(img, 80, false); err == nil {
		t.Fatalf("wrote %d bytes from a killed pipeline", len(out))
	}
}

// Through the pipeline: stripped images take the direct path (lossless is
// exact there, and only there), metadata keeps libvips' heifsave, and
// lossless keeps full chroma either way.
func TestAVIFThroughThePipeline(t *testing.T) {
	photo := photoLike(t, 120, 80, false)
	src := encodeWith(t, photo, PNG)
	for _, tt := range []struct {
		chain, want string
	}{
		{"w-60", "420"},
		{"w-60,lo-true", "444"},
		{"w-60,lo-true,md-true", "444"},
		{"w-60,lo-true,cp-true", "444"},
		{"w-60,md-true", "420"},
	} {
		if got := av1Chroma(process(t, src, tt.chain, AVIF).Body); got != tt.want {
			t.Errorf("%s: chroma %q, want %q", tt.chain, got, tt.want)
		}
	}
	jpeg := encodeWith(t, photo, JPEG)
	for name, src := range map[string][]byte{"PNG": src, "JPEG": jpeg} {
		out := process(t, src, "lo-true", AVIF).Body
		if m := nclxMatrix(out); m != 0 {
			t.Errorf("%s source, lo-true: matrix coefficients %d, want 0 (RGB): not the direct path", name, m)
		}
		if diff := meanAbsDiff(t, decode(t, out).img, fromBytes(t, src)); diff != 0 {
			t.Errorf("%s source, lo-true: pixels differ by %.3f on average", name, diff)
		}
	}
}

// nclxMatrix reads the matrix coefficients of an AVIF's nclx colour box,
// -1 when it has none.
func nclxMatrix(b []byte) int {
	i := bytes.Index(b, []byte("colrnclx"))
	if i < 0 || i+14 > len(b) {
		return -1
	}
	return int(b[i+12])<<8 | int(b[i+13])
}
