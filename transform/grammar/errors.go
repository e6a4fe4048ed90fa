package grammar

// Error is a parse or evaluation error. Param names the offending
// parameter key ("w", "l-image", "if"), or "tr" for the chain as a whole;
// it is empty only for evaluation errors, which the caller attributes.
type Error struct {
	Param string
	Msg   string
	// Limit marks a size limit of the chain (length, steps, parameters,
	// layers) rather than a mistake in its syntax: the caller answers it
	// as a refused budget.
	Limit bool
}

func (e *Error) Error() string {
	if e.Param == "" {
		return e.Msg
	}
	return e.Param + ": " + e.Msg
}

func errorf(param, msg string) *Error { return &Error{Param: param, Msg: msg} }

func limitf(param, msg string) *Error { return &Error{Param: param, Msg: msg, Limit: true} }
