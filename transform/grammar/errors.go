package grammar

// Error is a parse or evaluation error. Param names the offending
// parameter key ("w", "l-image", "if"), or "tr" for the chain as a whole;
// it is empty only for evaluation errors, which the caller attributes.
type Error struct {
	Param string
	Msg   string
}

func (e *Error) Error() string {
	if e.Param == "" {
		return e.Msg
	}
	return e.Param + ": " + e.Msg
}

func errorf(param, msg string) *Error { return &Error{Param: param, Msg: msg} }
