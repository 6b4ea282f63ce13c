;; A 64-bit memory (the memory64 proposal): refused at nginx -t on every engine.
(module
  (memory (export "memory") i64 1)
  (func (export "on_content")))
