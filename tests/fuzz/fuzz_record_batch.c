/*
 * fuzz_record_batch.c — libFuzzer target for the record batch parser.
 *
 * Feeds arbitrary bytes to the batch iterator, the validator (every flag
 * combination) and, for uncompressed batches, the record and header
 * iterators; then patches base offset and leader epoch in place and checks
 * that validation gives the same answer (the CRC does not cover them).
 * Invariants that must hold for any input abort the run when broken.
 * Seeds: tests/fuzz/corpus/record_batch/.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "record_batch.h"

#define CHECK(cond)                                                          \
    do {                                                                     \
        if (!(cond))                                                         \
            abort();                                                         \
    } while (0)

static void walk_records(const uint8_t *batch, size_t len, const fr_batch_header_t *h) {
    fr_record_iter_t it;
    fr_record_t rec;
    if (fr_record_iter_init(&it, batch, len, h) != 0)
        return;
    int32_t n = 0;
    int64_t max_ts = -1, min_ts = INT64_MAX;
    while (fr_record_iter_next(&it, &rec)) {
        if (rec.timestamp > max_ts)
            max_ts = rec.timestamp;
        if (rec.timestamp < min_ts)
            min_ts = rec.timestamp;
        CHECK(rec.key.len >= -1 && rec.value.len >= -1);
        CHECK(rec.key.len < 0 || (rec.key.ptr >= batch && rec.key.ptr + rec.key.len <= batch + len));
        CHECK(rec.value.len < 0 ||
              (rec.value.ptr >= batch && rec.value.ptr + rec.value.len <= batch + len));
        fr_reader_t hr;
        fr_reader_init(&hr, rec.headers, rec.headers_len);
        for (int32_t i = 0; i < rec.header_count; i++) {
            fr_slice_t k, v;
            CHECK(fr_record_header_next(&hr, &k, &v) == 0); /* the record iterator checked them */
            CHECK(k.len >= 0);
        }
        CHECK(fr_reader_left(&hr) == 0);
        n++;
    }
    CHECK(n <= h->records_count);
    CHECK(it.err != 0 || n == h->records_count);
    /* the produce path's fast walk must agree with the iterator, reason included, and
     * find the same range of timestamps */
    const char *why = NULL;
    fr_record_times_t walk = {0, 0};
    int rc = fr_batch_validate_records(batch, len, h, &walk, &why);
    CHECK((rc != 0) == (it.err != 0));
    CHECK(rc == 0 || (rc == it.err && why && it.why && strcmp(why, it.why) == 0));
    CHECK(rc != 0 || (walk.max == max_ts && walk.min == min_ts));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    /* a private, exact-size copy: the patches below write into it */
    uint8_t *buf = malloc(size ? size : 1);
    if (!buf)
        return 0;
    if (size)
        memcpy(buf, data, size);

    fr_batch_header_t h;
    fr_batch_parse_header(buf, size, &h);

    fr_batch_iter_t it;
    const uint8_t *batch;
    size_t blen, seen = 0;
    fr_batch_iter_init(&it, buf, size);
    while (fr_batch_iter_next(&it, &h, &batch, &blen)) {
        CHECK(batch == buf + seen && blen >= FR_BATCH_HEADER_SIZE && (int64_t)blen == fr_batch_size(&h));
        seen += blen;
        CHECK(it.pos == seen && seen <= size);

        int rc[4];
        for (int flags = 0; flags < 4; flags++) {
            const char *why = NULL;
            rc[flags] = fr_batch_validate(batch, blen, &h, flags, &why);
            CHECK(rc[flags] == 0 || why != NULL);
        }
        CHECK(rc[0] != 0 || fr_batch_compute_crc(batch, blen) == h.crc);
        if (fr_batch_compression(&h) == FR_COMPRESSION_NONE)
            walk_records(batch, blen, &h);

        /* patching the fields outside the CRC changes no verdict */
        uint8_t *b = buf + (batch - buf);
        fr_batch_set_base_offset(b, (int64_t)0x0123456789abcdefLL ^ (int64_t)seen);
        fr_batch_set_leader_epoch(b, (int32_t)seen);
        fr_batch_header_t p;
        const char *why;
        CHECK(fr_batch_check_frame(b, blen, &p, &why) == 0);
        CHECK(p.partition_leader_epoch == (int32_t)seen && p.crc == h.crc);
        CHECK(fr_batch_validate(b, blen, &p, 0, &why) == rc[0]);
    }
    CHECK(it.pos == seen);
    CHECK(it.err != 0 || seen == size);
    CHECK(it.err != FR_ERR_NEED_MORE || seen < size);
    free(buf);
    return 0;
}
