;; The exceptions proposal (t/engines.t: the proposals every engine accepts or refuses).
(module
  (memory (export "memory") 1)
  (tag $t)
  (func (export "on_content") (try_table (catch_all 0) (throw $t))))
