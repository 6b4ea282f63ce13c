;; A WASI reactor written by hand: `_initialize` runs once per new instance before any other
;; export (it counts its runs in a global and writes a line to stdout); `on_content` answers
;; with that count and its own.
(module
  (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (import "ngx" "resp_say" (func $say (param i32 i32) (result i32)))
  (memory (export "memory") 1)
  (global $runs (mut i32) (i32.const 0))
  (global $calls (mut i32) (i32.const 0))
  ;; "initialized\n" at 64, its I/O vector at 0
  (data (i32.const 64) "initialized\n")
  (data (i32.const 0) "\40\00\00\00\0c\00\00\00")
  (func (export "_initialize")
    (global.set $runs (i32.add (global.get $runs) (i32.const 1)))
    (drop (call $fd_write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 16))))
  ;; says "<runs> <calls>" with one decimal digit each
  (func (export "on_content")
    (global.set $calls (i32.add (global.get $calls) (i32.const 1)))
    (i32.store8 (i32.const 128) (i32.add (i32.const 48) (global.get $runs)))
    (i32.store8 (i32.const 129) (i32.const 32))
    (i32.store8 (i32.const 130) (i32.add (i32.const 48) (global.get $calls)))
    (drop (call $say (i32.const 128) (i32.const 3)))))
