package ngx

import (
	"time"
	"unsafe"
)

// Method returns the request method, as "GET" (ngx.req.get_method).
func Method() string {
	s, _ := getString(hostReqGetMethod)
	return s
}

// SetMethod changes the request method to one nginx knows (GET, HEAD, POST, PUT, DELETE,
// OPTIONS, PATCH...) (ngx.req.set_method). ErrBadArgument for another.
func SetMethod(method string) error {
	return errOf(hostReqSetMethod(ptr(method), n(method)))
}

// URI returns the decoded, normalized path without arguments ($uri).
func URI() string {
	s, _ := getString(hostReqGetURI)
	return s
}

// SetURI changes $uri, which must start with "/" and hold no ".." segment; with jump
// (rewrite phase only) nginx chooses the location again, like ngx.req.set_uri(uri, true).
func SetURI(uri string, jump bool) error {
	j := int32(0)
	if jump {
		j = 1
	}
	return errOf(hostReqSetURI(ptr(uri), n(uri), j))
}

// Query returns the raw query string without "?" ($args).
func Query() string {
	s, _ := getString(hostReqGetQuery)
	return s
}

// SetQuery replaces the query string (ngx.req.set_uri_args). ErrBadArgument for a space,
// a control character or "#".
func SetQuery(query string) error {
	return errOf(hostReqSetQuery(ptr(query), n(query)))
}

// Arg returns the first query argument named name, name and value both decoded (%XX and
// +) as ngx.req.get_uri_args does; an argument without "=" is "". ok is false if there is
// no such argument.
func Arg(name string) (value string, ok bool) {
	s, err := getString(func(out unsafe.Pointer, outCap int32) int32 {
		return hostReqGetArg(ptr(name), n(name), out, outCap)
	})
	return s, err == nil
}

// HTTPVersion returns the HTTP version times ten: 9, 10, 11, 20 or 30
// (ngx.req.http_version).
func HTTPVersion() int { return int(hostReqHTTPVersion()) }

// IsInternal reports whether the request came from an internal redirect (Exec,
// error_page...) (ngx.req.is_internal).
func IsInternal() bool { return hostReqIsInternal() == 1 }

// StartTime returns when the request started, to the millisecond (ngx.req.start_time).
func StartTime() time.Time {
	var ms uint64
	hostReqStartTime(unsafe.Pointer(&ms))
	return time.UnixMilli(int64(ms))
}

// Header returns every value of request header name (case-insensitive), joined with ", ".
// ok is false if the request has no such header.
func Header(name string) (value string, ok bool) {
	s, err := getString(func(out unsafe.Pointer, outCap int32) int32 {
		return hostReqGetHeader(ptr(name), n(name), out, outCap)
	})
	return s, err == nil
}

// Headers returns every request header, in the order the client sent them
// (ngx.req.get_headers).
func Headers() []Field {
	b, _ := get(hostReqGetHeaders)
	return fields(b)
}

// SetHeader replaces every value of request header name; an empty value removes it
// (ngx.req.set_header). ErrBadArgument for a name that is not an HTTP token or a value
// with CR, LF or NUL.
func SetHeader(name, value string) error {
	return errOf(hostReqSetHeader(ptr(name), n(name), ptr(value), n(value)))
}

// AddHeader adds a value to request header name, keeping the earlier ones.
func AddHeader(name, value string) error {
	return errOf(hostReqAddHeader(ptr(name), n(name), ptr(value), n(value)))
}

// ClearHeader removes every value of request header name (ngx.req.clear_header).
func ClearHeader(name string) error {
	return errOf(hostReqClearHeader(ptr(name), n(name)))
}

// ReadBody reads the request body without blocking the worker (ngx.req.read_body): it
// returns at once if the body is complete, else the call waits while nginx reads it. Then
// [Body] sees it. ErrInternal when nginx refused the body (over client_max_body_size, a bad
// chunk): the request is answered 413 or 400 when the handler returns, so return at once.
func ReadBody() error { return errOf(hostReqReadBody()) }

// BodyLen returns the length of the request body that was read (wasm_need_request_body on,
// or [ReadBody]); ErrNotFound if none was read.
func BodyLen() (int, error) { return check(hostReqBodyLen()) }

// Body returns the request body that was read, from memory or nginx's temporary file;
// ErrNotFound if none was read. The slice is the caller's.
func Body() ([]byte, error) {
	size, err := BodyLen()
	if err != nil {
		return nil, err
	}
	body := make([]byte, size)
	for off := 0; off < size; {
		got, err := check(hostReqGetBody(int32(off), bptr(body[off:]), int32(size-off)))
		if err != nil {
			return nil, err
		}
		if got == 0 {
			return body[:off], nil
		}
		off += got
	}
	return body, nil
}

// DiscardBody reads and discards the request body (ngx.req.discard_body). ErrNotAllowed if
// it was read already.
func DiscardBody() error { return errOf(hostReqDiscardBody()) }
