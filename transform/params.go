package transform

// The compiled form of a chain: the step and output structures the
// executor reads, their enumerations and colours. The URL grammar lives in
// transform/grammar; compile.go turns its tree into these structures.

import (
	"sort"
	"strconv"
	"strings"
)

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

	defaultQuality = 80
	defaultSharpen = 50
	defaultTrim    = 10
	maxParamValue  = 64 // bytes; longer values are never meaningful
)

var (
	crops  = []string{cropMaintainRatio, cropForce, cropAtMax, cropAtMaxEnlarge, cropAtLeast}
	modes  = []string{modePadResize, modeExtract, modePadExtract}
	focals = []string{focusCenter, "top", "left", "bottom", "right", "top_left", "top_right", "bottom_left", "bottom_right", focusAuto}
	// f- values; "jpeg" is an alias of "jpg", "auto" means negotiate.
	formatValues = []string{"auto", "jpg", "jpeg", "png", "webp", "avif", "gif", "jxl", "orig"}
)

// optInt is an integer parameter that may be absent.
type optInt struct {
	v   int
	set bool
}

// color is 8-bit RGBA.
type rgba struct{ r, g, b, a uint8 }

// step is one ':'-separated group of parameters. Within a step the order
// the user wrote is irrelevant: execution follows a fixed order
// (see pipeline.go), which is what makes sorting safe in Canonical.
type step struct {
	width, height    float64 // 0 = unset; 0<v<1 = fraction of the current size; else pixels
	arW, arH         float64 // ar-W-H; 0 = unset
	dpr              float64 // 0 = unset (1)
	crop             string  // "" = maintain_ratio
	mode             string  // "" = plain resize
	focus            string  // "" = center
	x, y, xc, yc     optInt
	rotate           int // degrees, 0..359
	flip             string
	blur             int
	grayscale        bool
	contrast         bool
	sharpen          int // 0 = off
	usm              [4]float64
	hasUSM           bool
	radius           int // 0 = off, -1 = max
	bg               rgba
	hasBG, bgBlurred bool
	borderWidth      int
	borderColor      rgba
	trim             int // 0 = off
	opacity          optInt
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
}

// colorNames are the names bg- and b- accept besides hex.
var colorNames = map[string]rgba{
	"white":       {255, 255, 255, 255},
	"black":       {0, 0, 0, 255},
	"red":         {255, 0, 0, 255},
	"green":       {0, 128, 0, 255},
	"blue":        {0, 0, 255, 255},
	"yellow":      {255, 255, 0, 255},
	"gray":        {128, 128, 128, 255},
	"grey":        {128, 128, 128, 255},
	"orange":      {255, 165, 0, 255},
	"purple":      {128, 0, 128, 255},
	"transparent": {0, 0, 0, 0},
}

func colorNameList() []string {
	names := make([]string, 0, len(colorNames))
	for n := range colorNames {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

func parseColor(v string) (rgba, bool) {
	if c, ok := colorNames[strings.ToLower(v)]; ok {
		return c, true
	}
	if len(v) != 6 && len(v) != 8 {
		return rgba{}, false
	}
	n, err := strconv.ParseUint(v, 16, 32)
	if err != nil {
		return rgba{}, false
	}
	if len(v) == 6 {
		n = n<<8 | 0xFF
	}
	return rgba{uint8(n >> 24), uint8(n >> 16), uint8(n >> 8), uint8(n)}, true
}
