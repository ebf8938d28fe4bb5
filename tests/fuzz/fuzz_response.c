/*
 * fuzz_response.c — libFuzzer target for the client side: response readers.
 *
 * A response frame does not name its API, so the input starts with the api
 * key and version (int16 each) the client would have asked for, followed by
 * the response frame body (header and message).  A message that parses is
 * written back, and reading and writing that again must give the same bytes.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fr_arena.h"
#include "fr_buf.h"
#include "fr_messages.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int parse_and_write(int16_t key, int16_t version, uint8_t *buf, size_t size,
                           fr_arena_t *arena, fr_writer_t *w) {
    fr_reader_t r;
    int32_t correlation_id;
    void *msg;

    fr_reader_init(&r, buf, size);
    if (fr_response_header_read(&r, key, version, &correlation_id) != 0)
        return -1;
    if (fr_response_read_any(&r, key, version, arena, &msg) != 0)
        return -1;
    fr_response_header_write(w, key, version, correlation_id);
    fr_response_write_any(w, key, version, msg);
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    static fr_arena_t arena;
    static int ready;
    fr_writer_t first, second;

    if (size < 4)
        return 0;
    if (!ready) {
        fr_arena_init(&arena, 64 * 1024);
        ready = 1;
    }
    int16_t key = (int16_t)fr_be16(data), version = (int16_t)fr_be16(data + 2);
    size -= 4;
    uint8_t *buf = malloc(size ? size : 1);  /* exactly sized and writable */
    if (!buf)
        return 0;
    if (size)
        memcpy(buf, data + 4, size);

    fr_writer_init(&first);
    fr_writer_init(&second);
    if (parse_and_write(key, version, buf, size, &arena, &first) == 0 && !first.err) {
        fr_arena_reset(&arena);
        const uint8_t *again = first.len ? first.buf : (const uint8_t *)"";
        if (parse_and_write(key, version, (uint8_t *)again, first.len, &arena, &second) != 0 ||
            second.len != first.len || (first.len && memcmp(first.buf, second.buf, first.len)))
            abort(); /* what we write, we must read back identically */
    }
    fr_writer_free(&first);
    fr_writer_free(&second);
    fr_arena_reset(&arena);
    free(buf);
    return 0;
}
