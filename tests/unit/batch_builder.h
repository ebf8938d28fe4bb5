/*
 * batch_builder.h — test-only builder of magic-v2 record batches.
 *
 * Builds uncompressed batches record by record (keys, values, headers,
 * timestamps, producer fields) with a correct CRC-32C, and "raw" batches whose
 * records section is opaque bytes (to stand in for compressed batches, which
 * the broker passes through untouched).  Everything is appended to a
 * fr_writer_t the caller owns.  Header-only so any test can include it.
 */
#ifndef FR_BATCH_BUILDER_H
#define FR_BATCH_BUILDER_H

#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "compression.h"
#include "crc32c.h"
#include "fr_buf.h"
#include "record_batch.h"

typedef struct bb_header {
    const char *key;   /* never null */
    const void *value; /* NULL with value_len -1 for a null value */
    int32_t value_len;
} bb_header_t;

typedef struct bb_record {
    const void *key;   /* key_len -1: null key */
    int32_t key_len;
    const void *value; /* value_len -1: null value (a tombstone) */
    int32_t value_len;
    int64_t timestamp;
    int n_headers;
    bb_header_t headers[4];
} bb_record_t;

typedef struct bb_batch {
    int64_t base_offset;
    int32_t leader_epoch;
    int16_t attributes;
    int64_t producer_id;
    int16_t producer_epoch;
    int32_t base_sequence;
} bb_batch_t;

static inline bb_batch_t bb_defaults(void) {
    return (bb_batch_t){.base_offset = 0, .leader_epoch = -1, .attributes = 0,
                        .producer_id = -1, .producer_epoch = -1, .base_sequence = -1};
}

/* Writes the 61-byte header with a zero CRC; returns where the batch starts. */
static inline size_t bb_put_header(fr_writer_t *w, const bb_batch_t *b, int32_t last_offset_delta,
                                   int64_t base_ts, int64_t max_ts, int32_t count) {
    size_t start = w->len;
    fr_write_i64(w, b->base_offset);
    fr_write_i32(w, 0); /* batchLength, patched by bb_finish */
    fr_write_i32(w, b->leader_epoch);
    fr_write_i8(w, FR_BATCH_MAGIC_V2);
    fr_write_u32(w, 0); /* crc, patched by bb_finish */
    fr_write_i16(w, b->attributes);
    fr_write_i32(w, last_offset_delta);
    fr_write_i64(w, base_ts);
    fr_write_i64(w, max_ts);
    fr_write_i64(w, b->producer_id);
    fr_write_i16(w, b->producer_epoch);
    fr_write_i32(w, b->base_sequence);
    fr_write_i32(w, count);
    return start;
}

/* Patches batchLength and the CRC of the batch at start; returns its size. */
static inline size_t bb_finish(fr_writer_t *w, size_t start) {
    size_t size = w->len - start;
    fr_put_be32(w->buf + start + FR_BATCH_OFF_LENGTH, (uint32_t)(size - FR_BATCH_LOG_OVERHEAD));
    fr_put_be32(w->buf + start + FR_BATCH_OFF_CRC, fr_batch_compute_crc(w->buf + start, size));
    return size;
}

static inline void bb_put_run(fr_writer_t *w, const void *p, int32_t len) {
    fr_write_varint(w, len < 0 ? -1 : len);
    if (len > 0)
        fr_write_raw(w, p, (size_t)len);
}

/* One uncompressed batch of n records (offset deltas 0..n-1).  Returns its size. */
static inline size_t bb_build(fr_writer_t *w, const bb_batch_t *b, const bb_record_t *recs, int n) {
    int64_t base_ts = n > 0 ? recs[0].timestamp : -1, max_ts = -1;
    for (int i = 0; i < n; i++)
        if (recs[i].timestamp > max_ts)
            max_ts = recs[i].timestamp;
    size_t start = bb_put_header(w, b, n > 0 ? n - 1 : 0, base_ts, max_ts, n);

    fr_writer_t body;
    fr_writer_init(&body);
    for (int i = 0; i < n; i++) {
        const bb_record_t *r = &recs[i];
        fr_writer_reset(&body);
        fr_write_i8(&body, 0);
        fr_write_varlong(&body, r->timestamp - base_ts);
        fr_write_varint(&body, i);
        bb_put_run(&body, r->key, r->key_len);
        bb_put_run(&body, r->value, r->value_len);
        fr_write_varint(&body, r->n_headers);
        for (int j = 0; j < r->n_headers; j++) {
            bb_put_run(&body, r->headers[j].key, (int32_t)strlen(r->headers[j].key));
            bb_put_run(&body, r->headers[j].value, r->headers[j].value_len);
        }
        fr_write_varint(w, (int32_t)body.len);
        fr_write_raw(w, body.buf, body.len);
    }
    fr_writer_free(&body);
    return bb_finish(w, start);
}

/* The same batch with its records section compressed with codec (0 for none), as a
 * producer sends it.  Returns its size, or 0 when the codec failed. */
static inline size_t bb_build_codec(fr_writer_t *w, const bb_batch_t *b, const bb_record_t *recs, int n,
                                    int codec) {
    if (codec == FR_COMPRESSION_NONE)
        return bb_build(w, b, recs, n);
    fr_writer_t plain;
    fr_writer_init(&plain);
    bb_build(&plain, b, recs, n);
    fr_batch_header_t h;
    fr_batch_parse_header(plain.buf, plain.len, &h);
    bb_batch_t c = *b;
    c.attributes = (int16_t)(b->attributes | codec);
    size_t start = bb_put_header(w, &c, h.last_offset_delta, h.base_timestamp, h.max_timestamp, h.records_count);
    int rc = fr_compress(codec, plain.buf + FR_BATCH_HEADER_SIZE, plain.len - FR_BATCH_HEADER_SIZE, w);
    fr_writer_free(&plain);
    return rc ? 0 : bb_finish(w, start);
}

/*
 * A batch whose records section is the opaque payload (for compressed
 * stand-ins: set the codec in b->attributes).  Returns its size.
 */
static inline size_t bb_build_raw(fr_writer_t *w, const bb_batch_t *b, int32_t count,
                                  int64_t base_ts, int64_t max_ts, const void *payload, size_t len) {
    size_t start = bb_put_header(w, b, count > 0 ? count - 1 : 0, base_ts, max_ts, count);
    fr_write_raw(w, payload, len);
    return bb_finish(w, start);
}

/* The deterministic value byte i of the value of record `rec` made with seed. */
static inline uint8_t bb_pattern(uint32_t seed, int rec, size_t i) {
    uint32_t x = seed * 2654435761u + (uint32_t)rec * 40503u + (uint32_t)i * 2246822519u;
    x ^= x >> 15;
    return (uint8_t)x;
}

/*
 * n records with key "k<i>", a value_size-byte value from bb_pattern(seed),
 * one header "h" = "v", all stamped ts + i.  Base offset 0 (the log assigns
 * the real one).  Returns the batch size.
 */
static inline size_t bb_build_simple(fr_writer_t *w, int n, size_t value_size, int64_t ts,
                                     uint32_t seed) {
    bb_batch_t b = bb_defaults();
    size_t start = bb_put_header(w, &b, n > 0 ? n - 1 : 0, ts, ts + (n > 0 ? n - 1 : 0), n);
    fr_writer_t body;
    fr_writer_init(&body);
    for (int i = 0; i < n; i++) {
        char key[16];
        int klen = snprintf(key, sizeof(key), "k%d", i);
        fr_writer_reset(&body);
        fr_write_i8(&body, 0);
        fr_write_varlong(&body, i);
        fr_write_varint(&body, i);
        bb_put_run(&body, key, klen);
        fr_write_varint(&body, (int32_t)value_size);
        uint8_t *v = fr_writer_room(&body, value_size);
        if (v) {
            for (size_t j = 0; j < value_size; j++)
                v[j] = bb_pattern(seed, i, j);
            body.len += value_size;
        }
        fr_write_varint(&body, 1);
        bb_put_run(&body, "h", 1);
        bb_put_run(&body, "v", 1);
        fr_write_varint(w, (int32_t)body.len);
        fr_write_raw(w, body.buf, body.len);
    }
    fr_writer_free(&body);
    return bb_finish(w, start);
}

#endif
