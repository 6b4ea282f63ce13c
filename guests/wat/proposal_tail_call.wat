;; The tail_call proposal (t/engines.t: the proposals every engine accepts or refuses).
(module
  (memory (export "memory") 1)
  (func $f (return_call $g))
  (func $g)
  (func (export "on_content") (call $f)))
