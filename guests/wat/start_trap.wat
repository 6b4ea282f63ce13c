;; A start function that traps: every instantiation fails.
(module
  (memory (export "memory") 1)
  (func $start unreachable)
  (start $start)
  (func (export "on_content")))
