package ngx

import "unsafe"

// Status returns the response status set so far, 0 if none (ngx.status).
func Status() int { return int(hostRespGetStatus()) }

// SetStatus sets the response status (ngx.status = status). ErrBadArgument outside
// 100..599, ErrNotAllowed once the header was sent.
func SetStatus(status int) error {
	if int(int32(status)) != status {
		return ErrBadArgument
	}
	return errOf(hostRespSetStatus(int32(status)))
}

// Print appends s to the response body (ngx.print). Output is buffered until the handler
// returns or [Flush] is called.
func Print(s string) error { return errOf(hostRespPrint(ptr(s), n(s))) }

// PrintBytes appends b to the response body, as [Print].
func PrintBytes(b []byte) error { return errOf(hostRespPrint(bptr(b), n(b))) }

// Say appends s and a newline to the response body (ngx.say).
func Say(s string) error { return errOf(hostRespSay(ptr(s), n(s))) }

// Output is an io.Writer on the response body: fmt.Fprintf(ngx.Output, ...) or
// json.NewEncoder(ngx.Output) print to it, one [PrintBytes] per Write.
var Output Writer

// Writer is the type of [Output]: an io.Writer appending to the response body.
type Writer struct{}

// Write appends p to the response body; it writes all of p or returns the host's error.
func (Writer) Write(p []byte) (int, error) {
	if err := PrintBytes(p); err != nil {
		return 0, err
	}
	return len(p), nil
}

// Flush sends the header (if not sent) and the body so far (ngx.flush(true)); the response
// is then streamed and its status and headers are fixed. It waits while nginx still holds
// output the client has not taken.
func Flush() error { return errOf(hostRespFlush()) }

// Exit is ngx.exit: with 0 this handler ends and the request goes on to the next phase;
// with 200..599 the request is finished with that status when the handler returns (nginx's
// page for 300 and above if nothing was printed). It does not unwind: return right after.
func Exit(status int) error {
	if int(int32(status)) != status {
		return ErrBadArgument
	}
	return errOf(hostRespExit(int32(status)))
}

// Redirect is ngx.redirect: the response is status (301, 302, 303, 307 or 308; 0 means
// 302) with Location: uri, when the handler returns. Return right after.
func Redirect(uri string, status int) error {
	if int(int32(status)) != status {
		return ErrBadArgument
	}
	return errOf(hostRespRedirect(ptr(uri), n(uri), int32(status)))
}

// Exec is ngx.exec: an internal redirect to uri (a path, or @name) with query args, when
// the handler returns. A "?query" in uri is joined with args by "&". ErrBadArgument for an
// unsafe path (a ".." segment, NUL, control characters). Return right after.
func Exec(uri, args string) error {
	return errOf(hostReqExec(ptr(uri), n(uri), ptr(args), n(args)))
}

// ResponseHeader returns every value of response header name, joined with ", "
// (ngx.header[name]); Content-Type and Content-Length included. ok is false if absent.
func ResponseHeader(name string) (value string, ok bool) {
	s, err := getString(func(out unsafe.Pointer, outCap int32) int32 {
		return hostRespGetHeader(ptr(name), n(name), out, outCap)
	})
	return s, err == nil
}

// ResponseHeaders returns every response header set so far.
func ResponseHeaders() []Field {
	b, _ := get(hostRespGetHeaders)
	return fields(b)
}

// SetResponseHeader replaces every value of response header name; an empty value removes
// it (ngx.header[name] = value). ErrNotAllowed once the header was sent, and for the headers
// nginx manages (Content-Length, Transfer-Encoding, Connection, Keep-Alive).
func SetResponseHeader(name, value string) error {
	return errOf(hostRespSetHeader(ptr(name), n(name), ptr(value), n(value)))
}

// AddResponseHeader adds a value to response header name (e.g. another Set-Cookie).
func AddResponseHeader(name, value string) error {
	return errOf(hostRespAddHeader(ptr(name), n(name), ptr(value), n(value)))
}

// ClearResponseHeader removes every value of response header name (ngx.header[name] = nil).
func ClearResponseHeader(name string) error {
	return errOf(hostRespClearHeader(ptr(name), n(name)))
}

// Chunk returns the data of the body chunk passing through a body filter (ngx.arg[1]).
func Chunk() []byte {
	b, _ := getBytes(hostBodyChunkGet)
	return b
}

// SetChunk replaces the chunk passing through a body filter; an empty one drops it. The
// end-of-stream flag is kept.
func SetChunk(data []byte) error { return errOf(hostBodyChunkSet(bptr(data), n(data))) }

// IsLastChunk reports whether the chunk passing through a body filter ends the response
// body (ngx.arg[2]).
func IsLastChunk() bool { return hostBodyChunkIsLast() == 1 }
