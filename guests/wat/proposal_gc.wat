;; The gc proposal (t/engines.t: the proposals every engine accepts or refuses).
(module
  (memory (export "memory") 1)
  (type $s (struct (field i32)))
  (func (export "on_content") (drop (struct.new $s (i32.const 1)))))
