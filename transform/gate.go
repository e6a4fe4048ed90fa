package transform

// notExecuted refuses, naming the parameter, what the compiler accepts but
// the executor does not run yet. Each entry goes when its operation lands.
func (c *Chain) notExecuted() *Error {
	return stepsNotExecuted(c.steps)
}

func stepsNotExecuted(steps []step) *Error {
	for i := range steps {
		s := &steps[i]
		switch {
		case s.shadow != nil:
			return invalidf("e-shadow", "is not supported yet")
		case s.gradient != nil:
			return invalidf("e-gradient", "is not supported yet")
		case s.replace != nil:
			return invalidf("cr", "is not supported yet")
		case s.distort != nil:
			return invalidf("e-distort", "is not supported yet")
		case s.hasCorners:
			return invalidf("r", "per-corner radii are not supported yet")
		case s.rotate%90 != 0:
			return invalidf("rt", "angles other than multiples of 90 are not supported yet")
		case s.bgDominant || s.bgGradient || s.bgBlur > 0 || s.bgBrightness != 0:
			return invalidf("bg", "bg-dominant, bg-gradient_dominant and bg-blurred options are not supported yet")
		}
	}
	return nil
}
