/*
 * ngx_wasm guest ABI for C guests (clang --target=wasm32).
 *
 * Every function is imported from the "ngx" module; every parameter and result is a 32-bit
 * integer. Pointers are offsets into this module's exported memory ("memory"); a pointer or
 * length outside it traps the guest (the request gets a 500). Functions return a status
 * code (NGX_WASM_OK or a negative NGX_WASM_*); getters return the full length of the value
 * and copy it only if it fits in out_cap, or NGX_WASM_NOT_FOUND when absent.
 * See docs/abi.md. Handlers are exports of type void(void):
 *
 *     NGX_WASM_EXPORT(on_content) void on_content(void) {
 *         ngx_resp_write((const uint8_t *) "hello\n", 6);
 *     }
 */

#ifndef NGX_WASM_GUEST_ABI_H
#define NGX_WASM_GUEST_ABI_H

#include <stdint.h>

#define NGX_WASM_OK             0
#define NGX_WASM_NOT_FOUND     -1
#define NGX_WASM_BAD_ARGUMENT  -2
#define NGX_WASM_NOT_ALLOWED   -3
#define NGX_WASM_INTERNAL      -4

#define NGX_WASM_LOG_STDERR     0
#define NGX_WASM_LOG_EMERG      1
#define NGX_WASM_LOG_ALERT      2
#define NGX_WASM_LOG_CRIT       3
#define NGX_WASM_LOG_ERR        4
#define NGX_WASM_LOG_WARN       5
#define NGX_WASM_LOG_NOTICE     6
#define NGX_WASM_LOG_INFO       7
#define NGX_WASM_LOG_DEBUG      8

#define NGX_WASM_EXPORT(name) __attribute__((export_name(#name)))
#define NGX_WASM_IMPORT(name) __attribute__((import_module("ngx"), import_name(#name)))

__attribute__((import_module("ngx"), import_name("log"))) int32_t ngx_log(int32_t level, const uint8_t *msg, int32_t msg_len);
__attribute__((import_module("ngx"), import_name("resp_set_status"))) int32_t ngx_resp_set_status(int32_t status);
__attribute__((import_module("ngx"), import_name("resp_set_header"))) int32_t ngx_resp_set_header(const uint8_t *name, int32_t name_len, const uint8_t *value, int32_t value_len);
__attribute__((import_module("ngx"), import_name("resp_write"))) int32_t ngx_resp_write(const uint8_t *data, int32_t data_len);
__attribute__((import_module("ngx"), import_name("req_get_uri"))) int32_t ngx_req_get_uri(uint8_t *out, int32_t out_cap);
__attribute__((import_module("ngx"), import_name("req_get_header"))) int32_t ngx_req_get_header(const uint8_t *name, int32_t name_len, uint8_t *out, int32_t out_cap);

#endif /* NGX_WASM_GUEST_ABI_H */
