package transform

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/davidbyttow/govips/v2/vips"
)

// jpegAs re-encodes the sample photo as a JPEG of another kind.
func jpegAs(t *testing.T, p vips.JpegExportParams, grey bool) []byte {
	t.Helper()
	img := fromBytes(t, realPhoto(t))
	if grey {
		must(t, img.ToColorSpace(vips.InterpretationBW))
	}
	p.StripMetadata = true
	b, _, err := img.ExportJpeg(&p)
	must(t, err)
	return b
}

// jpegDCFixtures are the committed files with restart markers, which
// libvips' encoder options here cannot make (testdata/jpegdc/README.md).
func jpegDCFixtures(t testing.TB) map[string][]byte {
	t.Helper()
	files, err := filepath.Glob("testdata/jpegdc/*.jpg")
	must(t, err)
	if len(files) == 0 {
		t.Fatal("no fixtures in testdata/jpegdc")
	}
	m := map[string][]byte{}
	for _, f := range files {
		b, err := os.ReadFile(f)
		must(t, err)
		m[filepath.Base(f)] = b
	}
	return m
}

// libjpegEighth is libvips' own decode at 1/8, the decoder's reference.
func libjpegEighth(t *testing.T, src []byte) *vips.ImageRef {
	t.Helper()
	defer func(off bool) { jpegDCOff.Store(off) }(jpegDCOff.Swap(true))
	img, err := openImage(vips.ImageTypeJPEG, src, loadOptions{jpegShrink: 8})
	must(t, err)
	return img
}

// TestJPEGDCMatchesLibjpeg compares the DC decoder with libjpeg's scaled
// decode: the same pixels for 4:4:4 and grey sources (both take the
// block's mean the same way and convert colour with the same rounding);
// within 2 levels for 4:2:0, whose chroma quarters each compute in their
// own arithmetic.
func TestJPEGDCMatchesLibjpeg(t *testing.T) {
	type tc struct {
		name    string
		src     []byte
		exact   bool
		maxMean float64
	}
	cases := []tc{
		{"4:4:4 Q90", jpegAs(t, vips.JpegExportParams{Quality: 90, SubsampleMode: vips.VipsForeignSubsampleOff}, false), true, 0},
		{"4:4:4 Q100, long codes", jpegAs(t, vips.JpegExportParams{Quality: 100, SubsampleMode: vips.VipsForeignSubsampleOff}, false), true, 0},
		{"4:4:4 optimised tables", jpegAs(t, vips.JpegExportParams{Quality: 60, OptimizeCoding: true, SubsampleMode: vips.VipsForeignSubsampleOff}, false), true, 0},
		{"grey", jpegAs(t, vips.JpegExportParams{Quality: 85}, true), true, 0},
		{"4:2:0 Q80", jpegAs(t, vips.JpegExportParams{Quality: 80, SubsampleMode: vips.VipsForeignSubsampleOn}, false), false, 0.05},
		{"4:2:0 Q5", jpegAs(t, vips.JpegExportParams{Quality: 5, SubsampleMode: vips.VipsForeignSubsampleOn}, false), false, 0.05},
		{"sample photo as committed", realPhoto(t), false, 0.05},
		{"progressive 4:2:0", jpegAs(t, vips.JpegExportParams{Quality: 80, Interlace: true, SubsampleMode: vips.VipsForeignSubsampleOn}, false), false, 0.05},
		{"progressive 4:4:4 Q100", jpegAs(t, vips.JpegExportParams{Quality: 100, Interlace: true, SubsampleMode: vips.VipsForeignSubsampleOff}, false), true, 0},
		{"progressive grey", jpegAs(t, vips.JpegExportParams{Quality: 85, Interlace: true}, true), true, 0},
		{"progressive 4:2:0 Q5", jpegAs(t, vips.JpegExportParams{Quality: 5, Interlace: true, SubsampleMode: vips.VipsForeignSubsampleOn}, false), false, 0.05},
	}
	for name, b := range jpegDCFixtures(t) {
		cases = append(cases, tc{name, b, !bytes.Contains([]byte(name), []byte("420")), 0.05})
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			pix, w, h, bands, ok := decodeJPEGDC(c.src)
			if !ok {
				t.Fatal("the DC decoder did not take a file it handles")
			}
			ref := libjpegEighth(t, c.src)
			defer ref.Close()
			want, err := ref.ToBytes()
			must(t, err)
			// libvips rounds the size at 1/8 down, libjpeg up.
			rw, rh := ref.Width(), ref.Height()
			if bands != ref.Bands() || w < rw || w > rw+1 || h < rh || h > rh+1 {
				t.Fatalf("decoded %dx%dx%d, libvips %dx%dx%d", w, h, bands, rw, rh, ref.Bands())
			}
			sum, worst := 0, 0
			for y := 0; y < rh; y++ {
				for i := 0; i < rw*bands; i++ {
					d := int(pix[y*w*bands+i]) - int(want[y*rw*bands+i])
					d = max(d, -d)
					sum += d
					worst = max(worst, d)
				}
			}
			mean := float64(sum) / float64(rw*rh*bands)
			if c.exact && worst != 0 {
				t.Fatalf("pixels differ from libjpeg's: mean %.3f, worst %d", mean, worst)
			}
			if !c.exact && (mean > c.maxMean || worst > 2) {
				t.Fatalf("difference from libjpeg: mean %.3f (limit %.2f), worst %d (limit 2)", mean, c.maxMean, worst)
			}
			t.Logf("%dx%dx%d, mean difference %.3f, worst %d", w, h, bands, mean, worst)
		})
	}
}

// TestJPEGDCLeavesTheRestToLibjpeg: files the decoder does not handle are
// refused by it and decoded, or refused, by libjpeg as before.
func TestJPEGDCLeavesTheRestToLibjpeg(t *testing.T) {
	baseline := jpegAs(t, vips.JpegExportParams{Quality: 85}, false)
	progressive := jpegAs(t, vips.JpegExportParams{Quality: 85, Interlace: true}, false)
	img := fromBytes(t, realPhoto(t))
	must(t, img.ToColorSpace(vips.InterpretationCMYK))
	cmyk, _, err := img.ExportJpeg(&vips.JpegExportParams{Quality: 85})
	must(t, err)
	for _, c := range []struct {
		name      string
		src       []byte
		decodable bool // libvips decodes it (fail_on=truncated)
	}{
		{"CMYK", cmyk, true},
		{"truncated in the scan", baseline[:len(baseline)*2/3], false},
		{"no end of image", baseline[:len(baseline)-2], false},
		{"progressive, truncated between scans", progressive[:bytes.LastIndex(progressive, []byte{0xff, 0xda})], false},
		{"progressive, truncated in a scan", progressive[:len(progressive)*2/3], false},
	} {
		t.Run(c.name, func(t *testing.T) {
			if _, _, _, _, ok := decodeJPEGDC(c.src); ok {
				t.Fatal("the DC decoder took a file it should leave to libjpeg")
			}
			before := jpegDCDecodes.Load()
			chain, err := Parse("w-200", "", ParseOptions{})
			must(t, err)
			_, err = NewProcessor(Config{Workers: 1}).Process(t.Context(), c.src, chain, PNG)
			if (err == nil) != c.decodable {
				t.Fatalf("Process: %v", err)
			}
			if n := jpegDCDecodes.Load() - before; n != 0 {
				t.Fatalf("%d DC decodes", n)
			}
		})
	}
}

// TestJPEGDCThroughThePipeline runs thumbnails with the DC decoder and
// without it: the same answer for a 4:4:4 source, all but the same for
// 4:2:0; the
// orientation comes through, and both the sequential thumbnail and the
// random-access load (a rotation after the resize) use it.
func TestJPEGDCThroughThePipeline(t *testing.T) {
	src444 := jpegAs(t, vips.JpegExportParams{Quality: 90, SubsampleMode: vips.VipsForeignSubsampleOff}, false)
	img := fromBytes(t, src444)
	must(t, img.SetOrientation(6))
	rotated, _, err := img.ExportJpeg(&vips.JpegExportParams{Quality: 90, SubsampleMode: vips.VipsForeignSubsampleOff})
	must(t, err)
	progressive := jpegAs(t, vips.JpegExportParams{Quality: 80, Interlace: true}, false)
	for _, c := range []struct {
		name, chain string
		src         []byte
		maxMean     float64
	}{
		{"4:4:4", "w-200", src444, 0},
		{"4:4:4 fill crop", "w-150,h-100", src444, 0},
		{"4:4:4, EXIF orientation 6", "w-100", rotated, 0},
		{"4:4:4, random access", "w-200,rt-90", src444, 0},
		{"4:2:0 sample photo", "w-200", realPhoto(t), 0.05},
		{"progressive 4:2:0", "w-200", progressive, 0.05},
	} {
		t.Run(c.name, func(t *testing.T) {
			before := jpegDCDecodes.Load()
			with := process(t, c.src, c.chain, PNG)
			if jpegDCDecodes.Load() == before {
				t.Fatal("the DC decoder was not used")
			}
			jpegDCOff.Store(true)
			without := process(t, c.src, c.chain, PNG)
			jpegDCOff.Store(false)
			a, b := decode(t, with.Body).img, decode(t, without.Body).img
			if a.Width() != b.Width() || a.Height() != b.Height() {
				t.Fatalf("%dx%d with the DC decoder, %dx%d without", a.Width(), a.Height(), b.Width(), b.Height())
			}
			if d := meanAbsDiff(t, a, b); d > c.maxMean {
				t.Fatalf("mean difference %.3f, over %.1f", d, c.maxMean)
			}
		})
	}
}

// TestJPEGDCKilled: the deadline's kill flag on the job's roots stops the
// decode.
func TestJPEGDCKilled(t *testing.T) {
	src := jpegAs(t, vips.JpegExportParams{Quality: 90}, false)
	hdr, err := openImage(vips.ImageTypeJPEG, src, loadOptions{sequential: true, jpegShrink: 8})
	must(t, err)
	defer hdr.Close()
	var r roots
	r.kill() // what the deadline does; roots added later are killed too
	defer r.release()
	if err := decodeEighth(src, hdr, &r); err != errJPEGDCKilled {
		t.Fatalf("decodeEighth = %v, want %v", err, errJPEGDCKilled)
	}
}

// FuzzJPEGDC feeds arbitrary bytes to the DC decoder alone (no libvips
// header check before it). It must never crash or read out of bounds, and
// what it accepts must be a whole image. The seeds include every fixture
// cut short and with bytes changed throughout; run it long, with the C
// code checked by AddressSanitizer, as
//
//	go test -asan -run '^$' -fuzz FuzzJPEGDC -fuzztime 10m ./transform/
func FuzzJPEGDC(f *testing.F) {
	var seeds [][]byte
	for _, b := range jpegDCFixtures(f) {
		seeds = append(seeds, b)
	}
	for _, b := range seeds[:len(seeds):len(seeds)] {
		for i := 1; i < 8; i++ {
			f.Add(b[:len(b)*i/8])
		}
		for i := 0; i < 64; i++ {
			m := bytes.Clone(b)
			at := 2 + (len(m)-2)*i/64
			if i < 16 {
				at = 2 + i*37%min(len(m)-2, 700) // the markers and tables
			}
			m[at] ^= byte(0x5b + i)
			f.Add(m)
		}
	}
	for _, b := range seeds {
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, src []byte) {
		pix, w, h, bands, ok := decodeJPEGDC(src)
		if !ok {
			return
		}
		if w < 1 || h < 1 || (bands != 1 && bands != 3) || len(pix) != w*h*bands {
			t.Fatalf("accepted as %dx%dx%d with %d bytes", w, h, bands, len(pix))
		}
	})
}
