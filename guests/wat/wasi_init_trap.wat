;; A WASI reactor whose `_initialize` traps: no instance of it can be made.
(module
  (import "ngx" "resp_say" (func $say (param i32 i32) (result i32)))
  (memory (export "memory") 1)
  (func (export "_initialize") unreachable)
  (func (export "on_content") (drop (call $say (i32.const 0) (i32.const 0)))))
