// The AssemblyScript SDK of ngx_wasm: OpenResty's `ngx.*` API over the `ngx` host ABI
// (docs/abi.md). Strings cross the boundary as UTF-8; bytes as `Uint8Array`. Functions
// that can fail return a `Status` (0 for success, a negative ABI status otherwise); getters
// return `null` for a missing item.
//
//   import * as ngx from "../ngx";
//   export function on_content(): void {
//     const name = ngx.req.arg("name");
//     ngx.say("hello, " + (name != null ? name : "world"));
//   }
//
// Build with `asc handler.ts --runtime incremental --use abort=ngx/index/abort` (see
// scripts/build-as-guests.sh): `abort` then logs the message and traps, so a failed
// assertion answers 500 with its reason in the error log.

// ---- the host functions --------------------------------------------------------------

@external("ngx", "log") declare function ngx_log(level: i32, p: usize, n: i32): i32;
@external("ngx", "now") declare function ngx_now(out: usize): i32;
@external("ngx", "get_phase") declare function ngx_get_phase(out: usize, cap: i32): i32;
@external("ngx", "req_get_method") declare function ngx_req_get_method(out: usize, cap: i32): i32;
@external("ngx", "req_set_method") declare function ngx_req_set_method(p: usize, n: i32): i32;
@external("ngx", "req_get_uri") declare function ngx_req_get_uri(out: usize, cap: i32): i32;
@external("ngx", "req_set_uri") declare function ngx_req_set_uri(p: usize, n: i32, jump: i32): i32;
@external("ngx", "req_get_query") declare function ngx_req_get_query(out: usize, cap: i32): i32;
@external("ngx", "req_set_query") declare function ngx_req_set_query(p: usize, n: i32): i32;
@external("ngx", "req_get_arg") declare function ngx_req_get_arg(np: usize, nn: i32, out: usize, cap: i32): i32;
@external("ngx", "req_http_version") declare function ngx_req_http_version(): i32;
@external("ngx", "req_is_internal") declare function ngx_req_is_internal(): i32;
@external("ngx", "req_get_header") declare function ngx_req_get_header(np: usize, nn: i32, out: usize, cap: i32): i32;
@external("ngx", "req_set_header") declare function ngx_req_set_header(np: usize, nn: i32, vp: usize, vn: i32): i32;
@external("ngx", "req_add_header") declare function ngx_req_add_header(np: usize, nn: i32, vp: usize, vn: i32): i32;
@external("ngx", "req_clear_header") declare function ngx_req_clear_header(np: usize, nn: i32): i32;
@external("ngx", "var_get") declare function ngx_var_get(np: usize, nn: i32, out: usize, cap: i32): i32;
@external("ngx", "var_set") declare function ngx_var_set(np: usize, nn: i32, vp: usize, vn: i32): i32;
@external("ngx", "req_read_body") declare function ngx_req_read_body(): i32;
@external("ngx", "req_body_len") declare function ngx_req_body_len(): i32;
@external("ngx", "req_get_body") declare function ngx_req_get_body(offset: i32, out: usize, cap: i32): i32;
@external("ngx", "resp_get_status") declare function ngx_resp_get_status(): i32;
@external("ngx", "resp_set_status") declare function ngx_resp_set_status(status: i32): i32;
@external("ngx", "resp_print") declare function ngx_resp_print(p: usize, n: i32): i32;
@external("ngx", "resp_say") declare function ngx_resp_say(p: usize, n: i32): i32;
@external("ngx", "resp_exit") declare function ngx_resp_exit(status: i32): i32;
@external("ngx", "resp_redirect") declare function ngx_resp_redirect(p: usize, n: i32, status: i32): i32;
@external("ngx", "req_exec") declare function ngx_req_exec(up: usize, un: i32, ap: usize, an: i32): i32;
@external("ngx", "resp_get_header") declare function ngx_resp_get_header(np: usize, nn: i32, out: usize, cap: i32): i32;
@external("ngx", "resp_set_header") declare function ngx_resp_set_header(np: usize, nn: i32, vp: usize, vn: i32): i32;
@external("ngx", "resp_add_header") declare function ngx_resp_add_header(np: usize, nn: i32, vp: usize, vn: i32): i32;
@external("ngx", "resp_clear_header") declare function ngx_resp_clear_header(np: usize, nn: i32): i32;
@external("ngx", "body_chunk_get") declare function ngx_body_chunk_get(out: usize, cap: i32): i32;
@external("ngx", "body_chunk_set") declare function ngx_body_chunk_set(p: usize, n: i32): i32;
@external("ngx", "body_chunk_is_last") declare function ngx_body_chunk_is_last(): i32;
@external("ngx", "ctx_get") declare function ngx_ctx_get(kp: usize, kn: i32, out: usize, cap: i32): i32;
@external("ngx", "ctx_set") declare function ngx_ctx_set(kp: usize, kn: i32, vp: usize, vn: i32): i32;
@external("ngx", "ctx_delete") declare function ngx_ctx_delete(kp: usize, kn: i32): i32;

// ---- statuses and levels -------------------------------------------------------------

/** A host function's status: 0 (`OK`) or one of the negative codes of docs/abi.md. */
export type Status = i32;
/** Success. */
export const OK: Status = 0;
/** -1: no such item. */
export const NOT_FOUND: Status = -1;
/** -2: an argument was refused. */
export const BAD_ARGUMENT: Status = -2;
/** -3: not allowed now (phase, header sent, after exit). */
export const NOT_ALLOWED: Status = -3;
/** -4: the host failed. */
export const INTERNAL: Status = -4;
/** -9: past a limit (`wasm_max_output`). */
export const TOO_LARGE: Status = -9;

/** nginx log levels, as `ngx.ERR` ... `ngx.DEBUG`. */
export enum Level {
  EMERG = 1,
  ALERT = 2,
  CRIT = 3,
  ERR = 4,
  WARN = 5,
  NOTICE = 6,
  INFO = 7,
  DEBUG = 8,
}

// ---- the boundary: UTF-8 in, the getter convention out --------------------------------

/** `s` as UTF-8 bytes (no terminating NUL). */
function utf8(s: string): ArrayBuffer {
  return String.UTF8.encode(s, false);
}

/** A getter's bytes: called with a buffer, again with a larger one if the value did not
 *  fit (the ABI returns the full length). `null` for a negative status. */
function fetch(get: (out: usize, cap: i32) => i32): Uint8Array | null {
  let buf = new Uint8Array(256);
  let n = get(buf.dataStart, buf.length);
  if (n > buf.length) {
    buf = new Uint8Array(n);
    n = get(buf.dataStart, buf.length);
  }
  if (n < 0) return null;
  return buf.subarray(0, min(n, buf.length));
}

function text(bytes: Uint8Array | null): string | null {
  if (bytes == null) return null;
  return String.UTF8.decodeUnsafe(bytes.dataStart, bytes.length, false);
}

// Closures cannot capture in AssemblyScript: a getter taking a name keeps it in globals
// (which also keep the buffer alive for the collector while the getter runs).
let nameBuf: ArrayBuffer | null = null;
let namePtr: usize = 0;
let nameLen: i32 = 0;

function withName(name: string): void {
  const b = utf8(name);
  nameBuf = b;
  namePtr = changetype<usize>(b);
  nameLen = b.byteLength;
}

// ---- logging, time, phase ------------------------------------------------------------

/** Writes `[wasm] <msg>` to the error log at `level` (`ngx.log`). */
export function log(level: Level, msg: string): Status {
  const b = utf8(msg);
  return ngx_log(level, changetype<usize>(b), b.byteLength);
}

/** nginx's cached time, in ms since the epoch (`ngx.now() * 1000`). */
export function now(): u64 {
  const out = new ArrayBuffer(8);
  ngx_now(changetype<usize>(out));
  return load<u64>(changetype<usize>(out));
}

/** The current phase's name (`ngx.get_phase()`). */
export function phase(): string {
  const t = text(fetch((o: usize, c: i32): i32 => ngx_get_phase(o, c)));
  return t != null ? t : "";
}

// ---- the request ---------------------------------------------------------------------

/** `ngx.req.*`: the request line, arguments, headers and body. */
export namespace req {
  /** The method (`GET`...). */
  export function method(): string {
    const t = text(fetch((o: usize, c: i32): i32 => ngx_req_get_method(o, c)));
    return t != null ? t : "";
  }

  /** Changes the method to one nginx knows. */
  export function setMethod(m: string): Status {
    const b = utf8(m);
    return ngx_req_set_method(changetype<usize>(b), b.byteLength);
  }

  /** The decoded path without arguments (`$uri`). */
  export function uri(): string {
    const t = text(fetch((o: usize, c: i32): i32 => ngx_req_get_uri(o, c)));
    return t != null ? t : "";
  }

  /** Changes `$uri`; `jump` (rewrite phase only) chooses the location again. */
  export function setUri(u: string, jump: bool = false): Status {
    const b = utf8(u);
    return ngx_req_set_uri(changetype<usize>(b), b.byteLength, jump ? 1 : 0);
  }

  /** The raw query string without `?` (`$args`). */
  export function query(): string {
    const t = text(fetch((o: usize, c: i32): i32 => ngx_req_get_query(o, c)));
    return t != null ? t : "";
  }

  /** Replaces the query string. */
  export function setQuery(q: string): Status {
    const b = utf8(q);
    return ngx_req_set_query(changetype<usize>(b), b.byteLength);
  }

  /** The first query argument `name`, decoded; `null` if absent. */
  export function arg(name: string): string | null {
    withName(name);
    const t = text(fetch((o: usize, c: i32): i32 => ngx_req_get_arg(namePtr, nameLen, o, c)));
    return t;
  }

  /** The HTTP version times ten (10, 11, 20...). */
  export function httpVersion(): i32 {
    return ngx_req_http_version();
  }

  /** True after an internal redirect. */
  export function isInternal(): bool {
    return ngx_req_is_internal() == 1;
  }

  /** Every value of request header `name`, joined with `, `; `null` if absent. */
  export function header(name: string): string | null {
    withName(name);
    const t = text(
      fetch((o: usize, c: i32): i32 => ngx_req_get_header(namePtr, nameLen, o, c)),
    );
    return t;
  }

  /** Replaces request header `name` (an empty value removes it). */
  export function setHeader(name: string, value: string): Status {
    const n = utf8(name);
    const v = utf8(value);
    return ngx_req_set_header(changetype<usize>(n), n.byteLength, changetype<usize>(v), v.byteLength);
  }

  /** Adds a request header value. */
  export function addHeader(name: string, value: string): Status {
    const n = utf8(name);
    const v = utf8(value);
    return ngx_req_add_header(changetype<usize>(n), n.byteLength, changetype<usize>(v), v.byteLength);
  }

  /** Removes request header `name`. */
  export function clearHeader(name: string): Status {
    const n = utf8(name);
    return ngx_req_clear_header(changetype<usize>(n), n.byteLength);
  }

  /** Reads the request body without blocking the worker (`ngx.req.read_body()`). */
  export function readBody(): Status {
    return ngx_req_read_body();
  }

  /** The body read so far; `null` if none was read. */
  export function body(): Uint8Array | null {
    const len = ngx_req_body_len();
    if (len < 0) return null;
    const out = new Uint8Array(len);
    let at = 0;
    while (at < len) {
      const n = ngx_req_get_body(at, out.dataStart + <usize>at, len - at);
      if (n <= 0) break;
      at += n;
    }
    return out.subarray(0, at);
  }
}

// ---- nginx variables -----------------------------------------------------------------

/** `ngx.var`: nginx variables by name. */
export namespace variable {
  /** The value of `$name`; `null` if unset or unknown. */
  export function get(name: string): string | null {
    withName(name);
    const t = text(fetch((o: usize, c: i32): i32 => ngx_var_get(namePtr, nameLen, o, c)));
    return t;
  }

  /** Sets `$name` (it must be changeable). */
  export function set(name: string, value: string): Status {
    const n = utf8(name);
    const v = utf8(value);
    return ngx_var_set(changetype<usize>(n), n.byteLength, changetype<usize>(v), v.byteLength);
  }
}

// ---- the response --------------------------------------------------------------------

/** `ngx.print`: appends `s` to the response body. */
export function print(s: string): Status {
  const b = utf8(s);
  return ngx_resp_print(changetype<usize>(b), b.byteLength);
}

/** `ngx.say`: appends `s` and a newline. */
export function say(s: string): Status {
  const b = utf8(s);
  return ngx_resp_say(changetype<usize>(b), b.byteLength);
}

/** `ngx.exit(status)`: ends the handler (0: go on to the next phase). */
export function exit(status: i32): Status {
  return ngx_resp_exit(status);
}

/** `ngx.redirect(uri, status)`. */
export function redirect(uri: string, status: i32 = 302): Status {
  const b = utf8(uri);
  return ngx_resp_redirect(changetype<usize>(b), b.byteLength, status);
}

/** `ngx.exec(uri, args)`: an internal redirect once the handler returns. */
export function exec(uri: string, args: string = ""): Status {
  const u = utf8(uri);
  const a = utf8(args);
  return ngx_req_exec(changetype<usize>(u), u.byteLength, changetype<usize>(a), a.byteLength);
}

/** `ngx.status` and `ngx.header`: the response status and headers. */
export namespace resp {
  /** The status set so far (0 if none). */
  export function status(): i32 {
    return ngx_resp_get_status();
  }

  /** Sets the status (100..=599). */
  export function setStatus(s: i32): Status {
    return ngx_resp_set_status(s);
  }

  /** Response header `name`; `null` if absent. */
  export function header(name: string): string | null {
    withName(name);
    const t = text(
      fetch((o: usize, c: i32): i32 => ngx_resp_get_header(namePtr, nameLen, o, c)),
    );
    return t;
  }

  /** Replaces response header `name`. */
  export function setHeader(name: string, value: string): Status {
    const n = utf8(name);
    const v = utf8(value);
    return ngx_resp_set_header(changetype<usize>(n), n.byteLength, changetype<usize>(v), v.byteLength);
  }

  /** Adds a response header value. */
  export function addHeader(name: string, value: string): Status {
    const n = utf8(name);
    const v = utf8(value);
    return ngx_resp_add_header(changetype<usize>(n), n.byteLength, changetype<usize>(v), v.byteLength);
  }

  /** Removes response header `name`. */
  export function clearHeader(name: string): Status {
    const n = utf8(name);
    return ngx_resp_clear_header(changetype<usize>(n), n.byteLength);
  }
}

// ---- the body filter -----------------------------------------------------------------

/** `ngx.arg` in a body filter: the chunk passing through. */
export namespace bodyFilter {
  /** The current chunk's bytes. */
  export function chunk(): Uint8Array {
    const b = fetch((o: usize, c: i32): i32 => ngx_body_chunk_get(o, c));
    return b != null ? b : new Uint8Array(0);
  }

  /** Replaces the current chunk. */
  export function setChunk(data: Uint8Array): Status {
    return ngx_body_chunk_set(data.dataStart, data.length);
  }

  /** True for the last chunk (`ngx.arg[2]`). */
  export function isLast(): bool {
    return ngx_body_chunk_is_last() == 1;
  }
}

// ---- the request's context -----------------------------------------------------------

/** `ngx.ctx`: bytes kept by key for the rest of the request, across phases. */
export namespace ctx {
  /** The value stored under `key`; `null` if none. */
  export function get(key: string): Uint8Array | null {
    withName(key);
    const b = fetch((o: usize, c: i32): i32 => ngx_ctx_get(namePtr, nameLen, o, c));
    return b;
  }

  /** Stores `value` under `key`. */
  export function set(key: string, value: Uint8Array): Status {
    const k = utf8(key);
    return ngx_ctx_set(changetype<usize>(k), k.byteLength, value.dataStart, value.length);
  }

  /** Removes `key`. */
  export function remove(key: string): Status {
    const k = utf8(key);
    return ngx_ctx_delete(changetype<usize>(k), k.byteLength);
  }
}

// ---- bytes and text ------------------------------------------------------------------

/** `s` as UTF-8 bytes. */
export function bytes(s: string): Uint8Array {
  return Uint8Array.wrap(utf8(s));
}

/** UTF-8 `b` as a string. */
export function str(b: Uint8Array): string {
  return String.UTF8.decodeUnsafe(b.dataStart, b.length, false);
}

// ---- abort -----------------------------------------------------------------------------

/** AssemblyScript's `abort` (a failed assertion, an `unreachable` path, a thrown error):
 *  logs the reason at `err` and traps, so the call fails with a 500. Selected with
 *  `--use abort=ngx/index/abort`. */
export function abort(
  message: string | null,
  fileName: string | null,
  line: u32,
  column: u32,
): void {
  const m = message != null ? message : "abort";
  const f = fileName != null ? fileName : "?";
  log(Level.ERR, "abort: " + m + " at " + f + ":" + line.toString() + ":" + column.toString());
  unreachable();
}
