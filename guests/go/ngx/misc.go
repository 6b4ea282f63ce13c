package ngx

import (
	"time"
	"unsafe"
)

// Var returns the value of nginx variable $name (ngx.var.name; names are
// case-insensitive). ErrNotFound if it is not set for this request, ErrBadArgument if
// there is no such variable.
func Var(name string) (string, error) {
	return getString(func(out unsafe.Pointer, outCap int32) int32 {
		return hostVarGet(ptr(name), n(name), out, outCap)
	})
}

// SetVar sets $name, which must be changeable (declared with set $name ...; or a
// changeable built-in). ErrNotAllowed if it is not, ErrBadArgument if there is no such
// variable or the value has CR, LF or NUL.
func SetVar(name, value string) error {
	return errOf(hostVarSet(ptr(name), n(name), ptr(value), n(value)))
}

// Ctx returns the value stored under key in this request's context (ngx.ctx), which
// every later phase of the request sees. ok is false if there is none.
func Ctx(key string) (value []byte, ok bool) {
	b, err := getBytes(func(out unsafe.Pointer, outCap int32) int32 {
		return hostCtxGet(ptr(key), n(key), out, outCap)
	})
	return b, err == nil
}

// SetCtx stores value under key in this request's context. ErrBadArgument for an empty
// key, ErrNotAllowed past 1 MiB in all.
func SetCtx(key string, value []byte) error {
	return errOf(hostCtxSet(ptr(key), n(key), bptr(value), n(value)))
}

// DeleteCtx removes key from this request's context; ErrNotFound if it was not there.
func DeleteCtx(key string) error { return errOf(hostCtxDelete(ptr(key), n(key))) }

// Level is an nginx log level, numbered as nginx and OpenResty (ngx.ERR...) number them.
type Level int32

// The log levels.
const (
	LogStderr Level = 0 // stderr
	LogEmerg  Level = 1 // emerg
	LogAlert  Level = 2 // alert
	LogCrit   Level = 3 // crit
	LogErr    Level = 4 // error
	LogWarn   Level = 5 // warn
	LogNotice Level = 6 // notice
	LogInfo   Level = 7 // info
	LogDebug  Level = 8 // debug
)

// Log writes "[wasm] msg" to the error log at level, if error_log lets that level through
// (ngx.log). ErrBadArgument for an unknown level; ErrNotAllowed once the request's guests
// wrote 1,000 lines or 1 MiB. Go's own stdout and stderr are logged too, at info and
// error.
func Log(level Level, msg string) error {
	return errOf(hostLog(int32(level), ptr(msg), n(msg)))
}

// Now returns nginx's cached time, to the millisecond (ngx.now). Go's time.Now is the
// system clock, read each time.
func Now() time.Time {
	var ms uint64
	hostNow(unsafe.Pointer(&ms))
	return time.UnixMilli(int64(ms))
}

// Phase returns the name of the current phase (ngx.get_phase): "init_worker",
// "server_rewrite", "rewrite", "access", "content", "header_filter", "body_filter", "log"
// or "timer".
func Phase() string {
	s, _ := getString(hostGetPhase)
	return s
}

// Sleep suspends the handler for d, rounded up to the millisecond, on an nginx timer
// (ngx.sleep): the worker serves other requests meanwhile, and the time is not charged to
// wasm_timeout. Sleep(0) waits for the next turn of nginx's event loop. ErrNotAllowed where
// a handler cannot wait (filters, log, init_worker); ErrBadArgument for a negative d.
// time.Sleep waits the same way.
func Sleep(d time.Duration) error {
	if d < 0 {
		return ErrBadArgument
	}
	return errOf(hostSleep(millis(d)))
}

// WorkerID returns this worker's number, 0 to WorkerCount()-1 (ngx.worker.id).
func WorkerID() int { return int(hostWorkerID()) }

// WorkerCount returns worker_processes (ngx.worker.count).
func WorkerCount() int { return int(hostWorkerCount()) }

// WorkerPID returns this worker's process id (ngx.worker.pid).
func WorkerPID() int { return int(hostWorkerPID()) }

// WorkerExiting reports whether the worker is shutting down (ngx.worker.exiting).
func WorkerExiting() bool { return hostWorkerExiting() == 1 }
