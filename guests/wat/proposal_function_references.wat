;; The function_references proposal (t/engines.t: the proposals every engine accepts or refuses).
(module
  (memory (export "memory") 1)
  (type $v (func))
  (func $f)
  (elem declare func $f)
  (func (export "on_content") (call_ref $v (ref.func $f))))
