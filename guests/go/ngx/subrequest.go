package ngx

import (
	"time"
	"unsafe"
)

// Subrequest is one request to a location of this server, made by [Capture]
// (ngx.location.capture's URI and options table).
type Subrequest struct {
	// Method is GET, HEAD, POST, PUT, DELETE...; "" means GET.
	Method string
	// URI is a path (a "?query" in it is joined with Args by "&").
	URI string
	// Args are query arguments (args).
	Args string
	// Body is the request body (body). If it is nil, a POST or PUT forwards the parent's.
	Body []byte
	// CopyAllVars starts the subrequest with a copy of the parent's variables
	// (copy_all_vars).
	CopyAllVars bool
	// ShareAllVars shares the parent's variables (share_all_vars).
	ShareAllVars bool
	// AlwaysForwardBody forwards the parent's body whatever the method
	// (always_forward_body).
	AlwaysForwardBody bool
}

// SubResponse is what a subrequest answered.
type SubResponse struct {
	// Status is the response status (res.status).
	Status int
	// Headers are the response headers, in order (res.header).
	Headers []Field
	// Body is the response body (res.body).
	Body []byte
	// Truncated reports that the body ended early: its upstream failed mid-response
	// (res.truncated).
	Truncated bool
}

// Header returns the first value of response header name (case-insensitive).
func (r *SubResponse) Header(name string) (string, bool) {
	for _, f := range r.Headers {
		if equalFold(f.Name, name) {
			return f.Value, true
		}
	}
	return "", false
}

// Capture issues req and waits for its answer without blocking the worker
// (ngx.location.capture). Only where a handler may answer: rewrite, access, content.
func Capture(req Subrequest) (*SubResponse, error) {
	res, err := CaptureMulti([]Subrequest{req})
	if err != nil {
		return nil, err
	}
	return res[0], nil
}

// CaptureMulti issues every request at once, in parallel, and waits until all have
// answered (ngx.location.capture_multi); the answers come in the order of reqs.
func CaptureMulti(reqs []Subrequest) ([]*SubResponse, error) {
	for _, r := range reqs {
		method := r.Method
		if method == "" {
			method = "GET"
		}
		var opts int32
		if r.Body != nil {
			opts |= 1
		}
		if r.CopyAllVars {
			opts |= 2
		}
		if r.ShareAllVars {
			opts |= 4
		}
		if r.AlwaysForwardBody {
			opts |= 8
		}
		rc := hostSubreqAdd(ptr(method), n(method), ptr(r.URI), n(r.URI), ptr(r.Args), n(r.Args),
			bptr(r.Body), n(r.Body), opts)
		if rc < 0 {
			return nil, Error(rc)
		}
	}
	if rc := hostSubreqWait(); rc < 0 {
		return nil, Error(rc)
	}
	out := make([]*SubResponse, len(reqs))
	for i := range reqs {
		id := int32(i)
		raw, _ := get(func(p unsafe.Pointer, c int32) int32 { return hostSubreqHeaders(id, p, c) })
		headers := fields(raw)
		body, _ := getBytes(func(p unsafe.Pointer, c int32) int32 { return hostSubreqBody(id, p, c) })
		out[i] = &SubResponse{
			Status:    int(hostSubreqStatus(id)),
			Headers:   headers,
			Body:      body,
			Truncated: hostSubreqTruncated(id) == 1,
		}
	}
	return out, nil
}

// TimerAt runs this module's export (a func() marked //go:wasmexport) once, after delay,
// outside any request, in the "timer" phase (ngx.timer.at); the run reads arg (at most
// 64 KiB) with [TimerArg]. ErrBadArgument for a negative delay or an unknown export,
// ErrNotAllowed while the worker exits, ErrTooMany past wasm_max_pending_timers.
func TimerAt(delay time.Duration, export string, arg []byte) error {
	if delay < 0 {
		return ErrBadArgument
	}
	return errOf(hostTimerAt(millis(delay), ptr(export), n(export), bptr(arg), n(arg)))
}

// TimerEvery is [TimerAt], then again every interval (> 0) until the worker exits
// (ngx.timer.every).
func TimerEvery(interval time.Duration, export string, arg []byte) error {
	if interval <= 0 {
		return ErrBadArgument
	}
	return errOf(hostTimerEvery(millis(interval), ptr(export), n(export), bptr(arg), n(arg)))
}

// TimerArg returns the argument a timer's run was added with (in the timer phase only).
func TimerArg() []byte {
	b, _ := getBytes(hostTimerArg)
	return b
}

// TimerPendingCount returns how many timers of this worker wait to run
// (ngx.timer.pending_count).
func TimerPendingCount() int { return int(hostTimerPendingCount()) }

// TimerRunningCount returns how many timer runs of this worker are in progress
// (ngx.timer.running_count).
func TimerRunningCount() int { return int(hostTimerRunningCount()) }

// millis rounds d up to whole milliseconds, as an i32 (at most 24.8 days).
func millis(d time.Duration) int32 {
	ms := (d + time.Millisecond - 1) / time.Millisecond
	if ms > 1<<31-1 {
		ms = 1<<31 - 1
	}
	return int32(ms)
}

// equalFold compares header names, which are ASCII tokens, without case.
func equalFold(a, b string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := 0; i < len(a); i++ {
		x, y := a[i], b[i]
		if 'A' <= x && x <= 'Z' {
			x += 'a' - 'A'
		}
		if 'A' <= y && y <= 'Z' {
			y += 'a' - 'A'
		}
		if x != y {
			return false
		}
	}
	return true
}
