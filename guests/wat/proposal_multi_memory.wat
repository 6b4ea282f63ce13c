;; The multi_memory proposal (t/engines.t: the proposals every engine accepts or refuses).
(module
  (memory (export "memory") 1)
  (memory $b 1)
  (func (export "on_content") (i32.store $b (i32.const 0) (i32.const 1))))
