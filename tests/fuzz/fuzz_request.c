/*
 * fuzz_request.c — libFuzzer target for the broker's request path.
 *
 * The input is a request frame body (header and message, without the 4-byte
 * size prefix).  It is read as the broker reads it: the header, then the
 * message with fr_request_read_any into a per-request arena.  A message that
 * parses is written back, which exercises every writer, and the result must
 * be stable: reading what was written and writing it again gives the same
 * bytes (unknown tags and non-canonical bools are dropped by the first pass,
 * so the first encoding need not equal the input).
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fr_arena.h"
#include "fr_buf.h"
#include "fr_messages.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Reads one frame body; on success writes it back into w. */
static int parse_and_write(uint8_t *buf, size_t size, fr_arena_t *arena, fr_writer_t *w) {
    fr_reader_t r;
    fr_request_header_t h;
    void *msg;

    fr_reader_init(&r, buf, size);
    if (fr_request_header_read(&r, &h) != 0)
        return -1;
    if (fr_request_read_any(&r, h.api_key, h.api_version, arena, &msg) != 0)
        return -1;
    fr_request_header_write(w, &h);
    fr_request_write_any(w, h.api_key, h.api_version, msg);
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    static fr_arena_t arena;
    static int ready;
    fr_writer_t first, second;

    if (!ready) {
        fr_arena_init(&arena, 64 * 1024);
        ready = 1;
    }
    /* An exactly sized, writable copy: records are read in place from a
     * mutable buffer, and ASan then catches any read past the end. */
    uint8_t *buf = malloc(size ? size : 1);
    if (!buf)
        return 0;
    if (size)
        memcpy(buf, data, size);

    fr_writer_init(&first);
    fr_writer_init(&second);
    if (parse_and_write(buf, size, &arena, &first) == 0 && !first.err) {
        fr_arena_reset(&arena);
        if (parse_and_write(first.buf, first.len, &arena, &second) != 0 ||
            second.len != first.len || memcmp(first.buf, second.buf, first.len) != 0)
            abort(); /* what we write, we must read back identically */
    }
    fr_writer_free(&first);
    fr_writer_free(&second);
    fr_arena_reset(&arena);
    free(buf);
    return 0;
}
