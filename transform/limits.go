package transform

// Limits bound the work one request may cause. Zero fields take the
// defaults below.
type Limits struct {
	MaxSourceBytes     int64 // bytes of the encoded source
	MaxSourcePixels    int64 // width × height (× frames when animation is kept)
	MaxOutputDimension int   // pixels, either side of any intermediate or final image
	MaxFrames          int   // frames of an animated source kept in the output
	MaxSteps           int   // steps in one chain, named transformations expanded (CheckBudget)
	MaxCost            int   // estimated cost of one chain (CheckBudget, Chain.Cost)
}

// Default limits.
const (
	DefaultMaxSourceBytes     = 64 << 20
	DefaultMaxSourcePixels    = 100_000_000
	DefaultMaxOutputDimension = 16384
	DefaultMaxFrames          = 256
)

// WithDefaults fills zero fields with the defaults; the caller can use the
// result to refuse an oversized source before downloading it.
func (l Limits) WithDefaults() Limits {
	if l.MaxSourceBytes <= 0 {
		l.MaxSourceBytes = DefaultMaxSourceBytes
	}
	if l.MaxSourcePixels <= 0 {
		l.MaxSourcePixels = DefaultMaxSourcePixels
	}
	if l.MaxOutputDimension <= 0 {
		l.MaxOutputDimension = DefaultMaxOutputDimension
	}
	if l.MaxFrames <= 0 {
		l.MaxFrames = DefaultMaxFrames
	}
	if l.MaxSteps <= 0 {
		l.MaxSteps = DefaultMaxSteps
	}
	if l.MaxCost <= 0 {
		l.MaxCost = DefaultMaxCost
	}
	return l
}

func (l Limits) checkBytes(n int) error {
	if int64(n) > l.MaxSourceBytes {
		return limitf("max_source_bytes", "source is %d bytes, over the %d byte limit", n, l.MaxSourceBytes)
	}
	return nil
}

func (l Limits) checkPixels(width, height, frames int) error {
	if width <= 0 || height <= 0 {
		return unsupportedf("source has no pixels")
	}
	px := int64(width) * int64(height) * int64(frames)
	if px > l.MaxSourcePixels {
		return limitf("max_source_pixels", "source is %d pixels (%dx%d, %d frames), over the %d pixel limit", px, width, height, frames, l.MaxSourcePixels)
	}
	return nil
}

func (l Limits) checkFrames(frames int) error {
	if frames > l.MaxFrames {
		return limitf("max_frames", "source has %d frames, over the %d frame limit", frames, l.MaxFrames)
	}
	return nil
}

// checkDimension guards every size the pipeline is about to create.
func (l Limits) checkDimension(param string, width, height int) error {
	if width > l.MaxOutputDimension || height > l.MaxOutputDimension {
		return limitf(param, "%dx%d is over the %d pixel dimension limit", width, height, l.MaxOutputDimension)
	}
	return nil
}
