package transform

// The compiled form of a chain: the step and output structures the
// executor reads, their enumerations and colours. The URL grammar lives in
// transform/grammar; compile.go turns its tree into these structures.

import "github.com/image-cdn/image_cdn/transform/grammar"

// Crop strategies (c-).
const (
	cropMaintainRatio = "maintain_ratio" // default: fill the box, cut at fo
	cropForce         = "force"
	cropAtMax         = "at_max"
	cropAtMaxEnlarge  = "at_max_enlarge"
	cropAtLeast       = "at_least"
)

// Crop modes (cm-).
const (
	modePadResize  = "pad_resize"
	modeExtract    = "extract"
	modePadExtract = "pad_extract"
)

const (
	focusCenter = "center"
	focusAuto   = "auto"
	focusFace   = "face"

	defaultQuality = 80
	defaultSharpen = 50
	defaultTrim    = 10
	maxParamValue  = 64     // bytes; longer values are never meaningful
	maxPage        = 100000 // pg-: larger is refused as text, before any source is read
)

var (
	crops  = []string{cropMaintainRatio, cropForce, cropAtMax, cropAtMaxEnlarge, cropAtLeast}
	modes  = []string{modePadResize, modeExtract, modePadExtract}
	focals = []string{focusCenter, "top", "left", "bottom", "right", "top_left", "top_right", "bottom_left", "bottom_right", focusAuto, focusFace}
	// f- values; "jpeg" is an alias of "jpg", "auto" means negotiate.
	formatValues = []string{"auto", "jpg", "jpeg", "png", "webp", "avif", "gif", "jxl", "orig"}
)

// optInt is an integer parameter that may be absent.
type optInt struct {
	v   int
	set bool
}

// step is one ':'-separated group of parameters. Within a step the order
// the user wrote is irrelevant: execution follows a fixed order
// (see steps_chain.go), which is what makes sorting safe in Canonical.
type step struct {
	width, height    float64    // 0 = unset; 0<v<1 = fraction of the current size; else pixels
	arW, arH         float64    // ar-W-H; 0 = unset
	dpr              float64    // 0 = unset (1)
	crop             string     // "" = maintain_ratio
	mode             string     // "" = plain resize
	focus            string     // "" = center
	zoom             float64    // z- with fo-face; 0 = unset (1)
	face             *faceFocus // set per request on a copy of the step when fo-face found faces
	x, y, xc, yc     optInt
	rotate           int // degrees, 0..359
	flip             string
	blur             int
	grayscale        bool
	contrast         bool
	sharpen          int // 0 = off
	usm              [4]float64
	hasUSM           bool
	radius           int    // 0 = off, -1 = max; with corners set, the largest corner
	corners          [4]int // per-corner radii: top-left, top-right, bottom-right, bottom-left
	hasCorners       bool
	bg               rgba
	hasBG, bgBlurred bool
	bgBlur           int  // bg-blurred_<n>: 0 = default
	bgBrightness     int  // bg-blurred_<n>_<brightness>: -255..255
	bgDominant       bool // bg-dominant
	bgGradient       bool // bg-gradient_dominant
	borderWidth      int
	borderColor      rgba
	trim             int  // 0 = off
	noTrim           bool // t-false: no trim, even where it is the default (layers)
	opacity          optInt
	shadow           *shadowSpec
	gradient         *gradientSpec
	replace          *replaceSpec
	distort          *distortSpec

	// Per-request parts (dynamic.go). tree is set when a value uses an
	// image variable: the executor compiles it again with the image's
	// sizes. cond is an if block. text is the un-evaluated normal form
	// that Canonical prints for both.
	tree   *grammar.Step
	cond   *condBlock
	layers []layer
	text   string
}

// output holds the parameters that describe the encoded result; they are
// chain-wide (the last occurrence wins) because there is only one output.
type output struct {
	format      string // "" = negotiate; else a formatValues entry, "jpeg" folded into "jpg"
	quality     int    // 0 = default
	progressive bool
	lossless    bool
	metadata    bool
	iccOnly     bool
	original    bool
	page        int // pg-: 1-based page or frame as a still image; 0 = unset
}
