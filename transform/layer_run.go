package transform

// Running layers: each layer's input (an origin image, a solid canvas or
// rendered text) runs the layer's own steps, with iw/ih its input size,
// cw/ch its size so far and bw/bh the size of the image it goes on; then
// it is placed (layer_place.go) and blended by its mode.

import (
	"math"

	"github.com/davidbyttow/govips/v2/vips"

	"github.com/image-cdn/image_cdn/transform/grammar"
)

// applyLayers puts layers on img in the order written.
func (j *job) applyLayers(img *vips.ImageRef, layers []layer) (*vips.ImageRef, error) {
	for i := range layers {
		var err error
		if img, err = j.applyLayer(img, &layers[i]); err != nil {
			return img, err
		}
	}
	return img, nil
}

func (j *job) applyLayer(img *vips.ImageRef, l *layer) (*vips.ImageRef, error) {
	bw, bh := img.Width(), img.Height()
	// The text style and the canvas are decided before the layer has a
	// size of its own: cw and ch are the parent's there.
	pre := imageEnv(bw, bh, bw, bh, bw, bh)
	spec, err := compileLayerSpec(l.place, pre)
	if err != nil {
		return img, err
	}
	steps := l.steps
	var limg *vips.ImageRef
	switch {
	case l.kind == layerText:
		limg, steps, err = j.textLayer(l, &spec, pre)
	case l.canvas:
		limg, steps, err = j.canvasLayer(l, pre)
	default:
		limg, err = j.imageLayer(l)
	}
	if err != nil {
		return img, err
	}
	defer func() {
		if limg != nil {
			limg.Close()
		}
	}()
	j.roots.add(limg)
	depth := loadDepth
	env := stepEnv{iw: limg.Width(), ih: limg.Height(), bw: bw, bh: bh}
	if limg, err = j.runSteps(limg, steps, nil, env, &depth); err != nil {
		return img, err
	}
	if err := toRGBA(limg); err != nil {
		return img, err
	}
	// Placement sees the layer as transformed.
	post := imageEnv(env.iw, env.ih, limg.Width(), limg.Height(), bw, bh)
	if spec, err = compileLayerSpec(l.place, post); err != nil {
		return img, err
	}
	if spec.alpha > 0 {
		if err := linearColour(limg, 1, 0, float64(spec.alpha)/10, 0); err != nil {
			return img, err
		}
	}
	return j.blend(img, limg, &spec)
}

// imageLayer decodes a fetched origin image, oriented and in sRGB.
func (j *job) imageLayer(l *layer) (*vips.ImageRef, error) {
	b := j.inputs[l.input]
	t, _, _, err := inspectLayer(b, j.limits)
	if err != nil {
		return nil, err
	}
	img, err := openImage(t, b, loadOptions{})
	if err != nil {
		return nil, &Error{Kind: Corrupt, Param: "l-image", Msg: "the layer image cannot be read", Cause: err}
	}
	err = img.AutoRotate()
	if err == nil {
		err = singlePage(img)
	}
	if err == nil {
		err = toSRGBImage(img)
	}
	if err != nil {
		img.Close()
		return nil, err
	}
	return img, nil
}

// canvasLayer is i-ik_canvas: a w×h rectangle of the bg colour (w and h
// as fractions are of the parent). The first step's w, h and bg make the
// canvas; its other parameters run on it.
func (j *job) canvasLayer(l *layer, env grammar.Env) (*vips.ImageRef, []step, error) {
	first, err := l.steps[0].resolve(env)
	if err != nil {
		return nil, nil, err
	}
	w, h := targetSize(int(env.BW), int(env.BH), first)
	if w < 1 || h < 1 {
		return nil, nil, invalidf("l-image", "i-ik_canvas needs w and h")
	}
	if err := j.limits.checkDimension("l-image", w, h); err != nil {
		return nil, nil, err
	}
	c := rgba{255, 255, 255, 255}
	if first.hasBG {
		c = first.bg
	}
	img, err := solid(w, h, c)
	if err != nil {
		return nil, nil, err
	}
	rest := append([]step(nil), l.steps...)
	rest[0] = *first
	rest[0].width, rest[0].height, rest[0].arW, rest[0].arH, rest[0].dpr, rest[0].hasBG = 0, 0, 0, 0, 0, false
	rest[0].mode, rest[0].crop = "", ""
	rest[0].tree, rest[0].layers = nil, first.layers
	return img, rest, nil
}

// textLayer renders the layer's text: fs, ff, co, tg, ia, lh and pa from
// the layer, the wrap width from the first step's w (a fraction is of the
// parent's width) and its background from bg; the rest of the first step
// (r, rt, …) runs on the rendered text.
func (j *job) textLayer(l *layer, spec *layerSpec, env grammar.Env) (*vips.ImageRef, []step, error) {
	first, err := l.steps[0].resolve(env)
	if err != nil {
		return nil, nil, err
	}
	st := textStyle{
		text: l.input, family: fontFamily(spec.font), size: defaultFont, colour: rgba{0, 0, 0, 255},
		bold: spec.bold, italic: spec.italic, align: spec.align, lineHeight: spec.lineHeight,
	}
	if spec.fontSize > 0 {
		st.size = spec.fontSize
	}
	if spec.hasColour {
		st.colour = spec.colour
	}
	if path, ok := fontFile(spec.font); ok {
		f, err := installFont(j.inputs[path])
		if err != nil {
			return nil, nil, err
		}
		st.fontFile, st.family = f.path, f.family
	}
	if first.width > 0 {
		w := first.width
		if w < 1 {
			w *= env.BW
		}
		st.wrap = max(1, int(math.Round(w)))
	}
	b, err := renderText(st, j.limits)
	if err != nil {
		return nil, nil, err
	}
	img, err := openImage(vips.ImageTypePNG, b, loadOptions{})
	if err != nil {
		return nil, nil, err
	}
	p := spec.pad
	if p != [4]int{} {
		err = img.EmbedBackgroundRGBA(p[3], p[0], img.Width()+p[1]+p[3], img.Height()+p[0]+p[2], &vips.ColorRGBA{})
	}
	if err == nil && first.hasBG {
		img, err = onBackground(img, first.bg)
	}
	if err == nil {
		err = j.limits.checkDimension("l-text", img.Width(), img.Height())
	}
	if err != nil {
		img.Close()
		return nil, nil, err
	}
	rest := append([]step(nil), l.steps...)
	rest[0] = *first
	rest[0].width, rest[0].hasBG, rest[0].tree = 0, false, nil
	return img, rest, nil
}

// solid is a w×h sRGB image of one colour, with alpha.
func solid(w, h int, c rgba) (*vips.ImageRef, error) {
	img, err := vips.Black(w, h)
	if err != nil {
		return nil, err
	}
	err = img.BandJoinConst([]float64{0, 0, 0})
	if err == nil {
		err = img.Linear([]float64{1, 1, 1, 1}, []float64{float64(c.r), float64(c.g), float64(c.b), float64(c.a)})
	}
	if err == nil {
		err = img.Cast(vips.BandFormatUchar)
	}
	if err != nil {
		img.Close()
		return nil, err
	}
	out, err := img.CopyChangingInterpretation(vips.InterpretationSRGB)
	img.Close()
	return out, err
}

// onBackground puts img over a rectangle of colour c of its size.
func onBackground(img *vips.ImageRef, c rgba) (*vips.ImageRef, error) {
	bg, err := solid(img.Width(), img.Height(), c)
	if err != nil {
		return img, err
	}
	return over(bg, img, 0, 0)
}

// toRGBA brings a layer to 8-bit sRGB with alpha, as blend expects.
func toRGBA(img *vips.ImageRef) error {
	if err := toUchar(img); err != nil {
		return err
	}
	if img.Bands() < 3 {
		if err := img.ToColorSpace(vips.InterpretationSRGB); err != nil {
			return err
		}
	}
	if !img.HasAlpha() {
		return img.AddAlpha()
	}
	return nil
}

// blend puts the layer on img by the layer mode: over (default),
// multiply, cutout (the layer's opaque pixels punch holes in img), cutter
// (img is kept only inside the layer's opaque pixels, and cut to the
// layer's box) or displace (the layer's red and green move img's pixels
// by up to lx and ly).
func (j *job) blend(img, limg *vips.ImageRef, spec *layerSpec) (*vips.ImageRef, error) {
	w, h := img.Width(), img.Height()
	if spec.lm == "displace" {
		return img, displace(img, limg, spec)
	}
	x, y := spec.position(w, h, limg.Width(), limg.Height())
	hadAlpha := img.HasAlpha()
	if !hadAlpha {
		if err := img.AddAlpha(); err != nil {
			return img, err
		}
	}
	mode := map[string]vips.BlendMode{"": vips.BlendModeOver, "multiply": vips.BlendModeMultiply, "cutout": vips.BlendModeDestOut, "cutter": vips.BlendModeDestIn}[spec.lm]
	if err := img.Composite(limg, mode, x, y); err != nil {
		return img, err
	}
	if err := toUchar(img); err != nil {
		return img, err
	}
	if spec.lm == "cutter" {
		x0, y0 := max(x, 0), max(y, 0)
		x1, y1 := min(x+limg.Width(), w), min(y+limg.Height(), h)
		if x1 <= x0 || y1 <= y0 {
			return img, invalidf("lm", "the cutter layer lies outside the image")
		}
		return img, img.ExtractArea(x0, y0, x1-x0, y1-y0)
	}
	if !hadAlpha && spec.lm != "cutout" {
		return img, img.ExtractBand(0, 3)
	}
	return img, nil
}

// displace moves img's pixels where the layer lies (placed by lfo): the
// layer's red and green, 128 meaning no move, shift by up to lx and ly
// pixels.
func displace(img, limg *vips.ImageRef, spec *layerSpec) error {
	mx, my := float64(spec.lx.v), float64(spec.ly.v)
	if !spec.lx.set && !spec.ly.set {
		return invalidf("lm", "lm-displace needs lx or ly: the largest displacement in pixels")
	}
	place := *spec
	place.lx, place.ly = optInt{}, optInt{}
	x, y := place.position(img.Width(), img.Height(), limg.Width(), limg.Height())
	d, err := limg.ExtractBandToImage(0, 2)
	if err != nil {
		return err
	}
	defer d.Close()
	if err := d.Linear([]float64{mx / 128, my / 128}, []float64{-mx, -my}); err != nil {
		return err
	}
	if err := d.Embed(x, y, img.Width(), img.Height(), vips.ExtendBlack); err != nil {
		return err
	}
	index, err := vips.XYZ(img.Width(), img.Height())
	if err != nil {
		return err
	}
	defer index.Close()
	if err := index.Add(d); err != nil {
		return err
	}
	if err := img.Mapim(index); err != nil {
		return err
	}
	return toUchar(img)
}
