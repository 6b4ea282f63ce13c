/* A hostile guest for t/engines.t: a shared memory (threads proposal) and an atomic wait
 * with no timeout, which would block a worker for ever if any engine accepted it. */
#include <stdint.h>

static int32_t cell;

__attribute__((export_name("wait_forever"))) void wait_forever(void) {
    __builtin_wasm_memory_atomic_wait32(&cell, 0, -1);
}
