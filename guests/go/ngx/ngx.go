// Package ngx is the Go SDK for ngx_wasm: OpenResty's ngx.* API for request handlers
// written in Go and built for WASI preview 1 as a reactor:
//
//	GOOS=wasip1 GOARCH=wasm go build -buildmode=c-shared -o hello.wasm .
//
// A handler is an exported function of type func(), named in a directive such as
// content_by_wasm hello.wasm on_content:
//
//	//go:wasmexport on_content
//	func onContent() {
//		name, ok := ngx.Arg("name")
//		if !ok {
//			name = "world"
//		}
//		ngx.Say("hello, " + name)
//	}
//
//	func main() {}
//
// Host calls report failures as values: every function that can fail returns an error,
// which is an [Error] (a negative status of the host ABI, docs/abi.md). Control-flow calls
// ([Exit], [Redirect], [Exec]) record what to do when the handler returns: return right
// after them.
//
// Values the SDK returns are copies the caller owns. Strings are not checked for UTF-8:
// they hold the bytes nginx holds.
package ngx

import (
	"strconv"
	"unsafe"
)

// Error is a negative status returned by a host function (docs/abi.md, "Status codes").
// Compare it with the constants: errors.Is(err, ngx.ErrNotFound) or err == ngx.ErrNotFound.
type Error int32

// The statuses of the host ABI.
const (
	// ErrNotFound (-1): the item does not exist.
	ErrNotFound Error = -1
	// ErrBadArgument (-2): an argument was refused (unknown level, status out of range,
	// bad header name or value...).
	ErrBadArgument Error = -2
	// ErrNotAllowed (-3): not allowed now (in this phase, after the header was sent, after
	// Exit, Redirect or Exec, a header nginx manages).
	ErrNotAllowed Error = -3
	// ErrInternal (-4): the host failed (e.g. out of memory in the request pool).
	ErrInternal Error = -4
	// ErrTimeout (-5): a socket operation ran out of time.
	ErrTimeout Error = -5
	// ErrClosed (-6): the peer closed the connection, or the socket is closed.
	ErrClosed Error = -6
	// ErrConnectFailed (-7): the connection could not be made.
	ErrConnectFailed Error = -7
	// ErrResolveFailed (-8): the name could not be resolved, or no resolver is configured.
	ErrResolveFailed Error = -8
	// ErrTooLarge (-9): longer than the most asked for, or past wasm_max_output.
	ErrTooLarge Error = -9
	// ErrTLSFailed (-10): the TLS handshake failed.
	ErrTLSFailed Error = -10
	// ErrTLSVerifyFailed (-11): the peer's certificate was refused.
	ErrTLSVerifyFailed Error = -11
	// ErrExists (-12): the key exists already (shared dictionary Add).
	ErrExists Error = -12
	// ErrNoMemory (-13): no room in the shared dictionary.
	ErrNoMemory Error = -13
	// ErrTooMany (-14): wasm_max_pending_timers timers are pending already.
	ErrTooMany Error = -14
)

var errorNames = [...]string{
	"not found", "bad argument", "not allowed", "internal error", "timeout", "closed",
	"connect failed", "resolve failed", "too large", "TLS failed", "TLS verify failed",
	"exists", "no memory", "too many",
}

// Error returns the status's name, as "ngx: not found".
func (e Error) Error() string {
	if i := -int(e) - 1; i >= 0 && i < len(errorNames) {
		return "ngx: " + errorNames[i]
	}
	return "ngx: status " + strconv.Itoa(int(e))
}

// Code returns the status as the host returned it (-1, -2...).
func (e Error) Code() int { return int(e) }

// check turns a host result into (value, error).
func check(rc int32) (int, error) {
	if rc < 0 {
		return 0, Error(rc)
	}
	return int(rc), nil
}

// errOf turns a host result into an error (nil for a success).
func errOf(rc int32) error {
	if rc < 0 {
		return Error(rc)
	}
	return nil
}

// ptr returns the address of s's bytes for the host (nil for an empty string: a zero
// length is valid with any pointer).
func ptr(s string) unsafe.Pointer { return unsafe.Pointer(unsafe.StringData(s)) }

// bptr returns the address of b's bytes for the host.
func bptr(b []byte) unsafe.Pointer { return unsafe.Pointer(unsafe.SliceData(b)) }

// n returns a length as the host's i32 (Go slices in a 32-bit memory always fit).
func n[T string | []byte](s T) int32 { return int32(len(s)) }

// scratch is the buffer getters write into. A handler runs on one thread and the SDK does
// not yield inside a getter, so one buffer serves every call; it grows to the largest
// value read and stays that size.
var scratch = make([]byte, 1024)

// get calls a getter by the ABI's convention: with the scratch buffer, and again with a
// buffer of the returned length if the value did not fit. The result aliases scratch: it
// is valid until the next getter call, so callers copy it (string(b), or append).
func get(getter func(out unsafe.Pointer, outCap int32) int32) ([]byte, error) {
	for {
		rc := getter(bptr(scratch), int32(len(scratch)))
		if rc < 0 {
			return nil, Error(rc)
		}
		if int(rc) <= len(scratch) {
			return scratch[:rc], nil
		}
		scratch = make([]byte, rc)
	}
}

// getString is get with the value copied into a string; "" on failure.
func getString(getter func(out unsafe.Pointer, outCap int32) int32) (string, error) {
	b, err := get(getter)
	if err != nil {
		return "", err
	}
	return string(b), nil
}

// getBytes is get with the value copied into a new slice; nil on failure.
func getBytes(getter func(out unsafe.Pointer, outCap int32) int32) ([]byte, error) {
	b, err := get(getter)
	if err != nil {
		return nil, err
	}
	return append([]byte(nil), b...), nil
}

// Field is one header: its name as nginx holds it and its value.
type Field struct {
	// Name is the header's name, in the case the client or nginx wrote it.
	Name string
	// Value is the header's value.
	Value string
}

// fields parses the ABI's name\0value\0 pairs. The values share one string: the pairs
// cost one copy in all.
func fields(raw []byte) []Field {
	s := string(raw)
	var out []Field
	for len(s) > 0 {
		name, rest, ok := cut(s)
		if !ok {
			break
		}
		value, rest, _ := cut(rest)
		if name == "" && value == "" {
			break
		}
		out = append(out, Field{name, value})
		s = rest
	}
	return out
}

// cut splits s at its first NUL.
func cut(s string) (before, after string, found bool) {
	for i := 0; i < len(s); i++ {
		if s[i] == 0 {
			return s[:i], s[i+1:], true
		}
	}
	return s, "", false
}
