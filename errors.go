package usearch

import "errors"

// The errors of this package: the sentinels a caller tests with errors.Is, and opError, which
// names the operation and the bad value and wraps one of them. (Core status codes become these
// errors in usearch_cgo.go; status and statusError are in usearch.go.)

// Errors returned by this package, usable with errors.Is.
var (
	ErrClosed            = errors.New("index is closed")
	ErrDimensionMismatch = errors.New("vector length does not match the index dimensions")
	ErrReadOnly          = errors.New("index is read-only")
	ErrInvalidFile       = errors.New("invalid or corrupt index file")
	ErrInvalidConfig     = errors.New("invalid index configuration")
	ErrUnsupported       = errors.New("unsupported metric and scalar kind combination")
	ErrDuplicateKey      = errors.New("key already present")
	ErrReservedKey       = errors.New("key 2^64-1 is reserved")
	ErrInvalidArgument   = errors.New("invalid argument")
	ErrOutOfMemory       = errors.New("out of memory")
	ErrIndexFull         = errors.New("index is full: it holds 2^32-1 slots, removed ones included")
	ErrIO                = errors.New("file input/output failed")
	ErrCallback          = errors.New("a Go filter or metric failed")
	ErrCgoRequired       = errors.New("usearch requires cgo: build with CGO_ENABLED=1 and a C++ compiler")
)

// opError is an error of one call: which operation, what was wrong, and the sentinel it
// matches with errors.Is.
type opError struct {
	op     string
	detail string
	kind   error
}

func (e *opError) Error() string { return "usearch: " + e.op + ": " + e.detail }
func (e *opError) Unwrap() error { return e.kind }
