/*
 * A C guest: answers "hello, <name> (<user agent>)" from the `name` argument and the
 * User-Agent header, with plain clang (--target=wasm32, no libc).
 *
 *     location /c-hello { content_by_wasm hello_c.wasm on_content; }
 */
#include "ngx_wasm_guest_abi.h"

static uint8_t buf[512];

/* Without libc, clang may still emit memcpy for copy loops: provide one (byte by byte
 * through a volatile pointer, so it is not turned into a call to itself). */
void *memcpy(void *dst, const void *src, unsigned long n) {
    volatile uint8_t *d = dst;
    const uint8_t *s = src;
    while (n--) {
        *d++ = *s++;
    }
    return dst;
}

static int32_t append(int32_t at, const char *s, int32_t n) {
    for (int32_t i = 0; i < n && at < (int32_t) sizeof(buf); i++) {
        buf[at++] = (uint8_t) s[i];
    }
    return at;
}

NGX_WASM_EXPORT(on_content) void on_content(void) {
    uint8_t name[128], agent[128];
    int32_t n = ngx_req_get_arg((const uint8_t *) "name", 4, name, sizeof(name));
    if (n < 0 || n > (int32_t) sizeof(name)) {
        n = 5;
        for (int i = 0; i < 5; i++) name[i] = (uint8_t) "world"[i];
    }
    int32_t a = ngx_req_get_header((const uint8_t *) "user-agent", 10, agent, sizeof(agent));
    if (a < 0 || a > (int32_t) sizeof(agent)) {
        a = 0;
    }
    int32_t at = append(0, "hello, ", 7);
    at = append(at, (const char *) name, n);
    at = append(at, " (", 2);
    at = append(at, (const char *) agent, a);
    at = append(at, ")", 1);
    ngx_resp_set_header((const uint8_t *) "X-Guest", 7, (const uint8_t *) "c", 1);
    ngx_resp_say(buf, at);
}
