;; A start function that never ends: the budget must stop it during instantiation.
(module
  (memory (export "memory") 1)
  (func $start (loop $l (br $l)))
  (start $start)
  (func (export "on_content")))
