/*
 * fuzz_decompress.c — libFuzzer target for the batch codecs (compression.h).
 *
 * The first byte picks the codec (bits 0-1: gzip, snappy, lz4, zstd), the
 * output cap (bits 2-4: 1 KiB .. 128 KiB) and the mode (bit 7):
 *   0  the rest is handed to fr_decompress as it is;
 *   1  the rest (after two more bytes) is first compressed with the codec,
 *      then one byte of the result is changed at a position and by a mask
 *      taken from those two bytes, so the decoders see near-valid streams
 *      even without a seed corpus.
 * Whatever the input: a clean result (0 or FR_ERR_CORRUPT_MESSAGE), the
 * writer back to its prefix on error, never more than the cap, never more
 * than fr_decompress_bound (nor a bomb within it), and
 * decompress(compress(x)) == x for anything that decoded.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "compression.h"
#include "record_batch.h"

static void check(int cond) {
    if (!cond)
        abort();
}

/* Decompresses in and checks the contract; returns the result. */
static int decode(int codec, const uint8_t *in, size_t len, size_t cap, fr_writer_t *out) {
    const char *why = NULL;
    fr_writer_reset(out);
    fr_write_raw(out, "pre", 3);
    int rc = fr_decompress(codec, in, len, out, cap, &why);
    size_t bound = fr_decompress_bound(codec, in, len);
    check(rc == 0 || rc == FR_ERR_CORRUPT_MESSAGE || rc == FR_ERR_NOMEM);
    check(codec == FR_COMPRESSION_LZ4 || bound == SIZE_MAX);
    if (rc) {
        check(why != NULL);
        check(out->len == 3 && memcmp(out->buf, "pre", 3) == 0);
        if (strcmp(why, FR_DECOMPRESS_OVER_CAP) == 0)
            check(bound > cap); /* what would not fit was within the bound */
    } else {
        check(out->len - 3 <= cap);
        check(out->len - 3 <= bound);
    }
    return rc;
}

/* What decoded must survive a round trip through our own encoder. */
static void round_trip(int codec, const uint8_t *data, size_t len, size_t cap) {
    fr_writer_t z, back;
    fr_writer_init(&z);
    fr_writer_init(&back);
    if (fr_compress(codec, data, len, &z) == 0 && decode(codec, z.buf, z.len, cap, &back) == 0)
        check(back.len == 3 + len && (len == 0 || memcmp(back.buf + 3, data, len) == 0));
    fr_writer_free(&z);
    fr_writer_free(&back);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    static const int codecs[4] = {FR_COMPRESSION_GZIP, FR_COMPRESSION_SNAPPY, FR_COMPRESSION_LZ4,
                                  FR_COMPRESSION_ZSTD};
    fr_writer_t out;

    if (size < 1)
        return 0;
    int codec = codecs[data[0] & 3];
    size_t cap = (size_t)1024 << ((data[0] >> 2) & 7);
    fr_writer_init(&out);

    if (!(data[0] & 0x80)) {
        if (decode(codec, data + 1, size - 1, cap, &out) == 0)
            round_trip(codec, out.buf + 3, out.len - 3, cap);
    } else if (size >= 3) {
        fr_writer_t z;
        fr_writer_init(&z);
        if (fr_compress(codec, data + 3, size - 3, &z) == 0 && z.len > 0) {
            /* an exact-size copy, so the sanitizer sees reads past its end */
            uint8_t *t = malloc(z.len);
            memcpy(t, z.buf, z.len);
            uint8_t mask = (uint8_t)(data[2] | 1);
            t[(size_t)data[1] * 131 % z.len] ^= mask;
            decode(codec, t, z.len, cap, &out);
            free(t);
        }
        fr_writer_free(&z);
    }
    fr_writer_free(&out);
    return 0;
}
