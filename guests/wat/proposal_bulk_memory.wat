;; The bulk_memory proposal (t/engines.t: the proposals every engine accepts or refuses).
(module
  (memory (export "memory") 1)
  (func (export "on_content") (memory.fill (i32.const 0) (i32.const 0) (i32.const 16))))
