;; The wide_arithmetic proposal (t/engines.t: the proposals every engine accepts or refuses).
(module
  (memory (export "memory") 1)
  (func (export "on_content") (drop (drop (i64.add128 (i64.const 1) (i64.const 2) (i64.const 3) (i64.const 4))))))
