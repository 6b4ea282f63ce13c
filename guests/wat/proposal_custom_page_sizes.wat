;; The custom_page_sizes proposal (t/engines.t: the proposals every engine accepts or refuses).
(module
  (memory (export "memory") 1 (pagesize 1))
  (func (export "on_content")))
