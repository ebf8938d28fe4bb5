/*
 * The streams serdes (include/freshet/streams.h), windowed keys
 * (streams_windows.h) and the KTable change encoding of repartition topics
 * (fr_graph.h) on arbitrary bytes, as they arrive from a topic:
 *   - fr_serde_decode never reads outside the slice; bytes and string accept
 *     anything, int64 and double exactly 8 bytes, json what jansson accepts,
 *     and encode(decode(x)) gives back the same bytes;
 *   - fr_windowed_key (sizes 60000 and 0 = session) needs the 8- or 16-byte
 *     suffix, takes start/end big-endian from it and decodes the rest with
 *     the key serde;
 *   - fr_change_decode splits what it accepts into (new, old) that
 *     fr_change_encode turns back into the same bytes.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fr_graph.h"
#include "freshet/streams.h"

static int64_t be64(const uint8_t *p) {
    uint64_t x = 0;
    for (int i = 0; i < 8; i++)
        x = x << 8 | p[i];
    return (int64_t)x;
}

static int same(fr_slice_t a, const uint8_t *p, size_t n) {
    return !fr_slice_is_null(a) && (size_t)a.len == n && (n == 0 || memcmp(a.ptr, p, n) == 0);
}

static void serdes(const fr_serde_t *s, const uint8_t *p, size_t n) {
    fr_datum_t d;
    int rc = fr_serde_decode(s, (fr_slice_t){p, (int32_t)n}, &d);
    fr_type_t t = fr_serde_type(s);
    if (rc != 0 && rc != FR_ERR_PARSE)
        abort();
    if ((t == FR_TYPE_BYTES || t == FR_TYPE_STRING) && rc != 0)
        abort();
    if ((t == FR_TYPE_INT64 || t == FR_TYPE_DOUBLE) && (rc == 0) != (n == 8))
        abort();
    if (rc)
        return;
    if (d.is_null || d.type != t)
        abort();
    if (t == FR_TYPE_INT64 && d.i64 != be64(p))
        abort();
    if ((t == FR_TYPE_BYTES || t == FR_TYPE_STRING || t == FR_TYPE_JSON) &&
        (d.len != n || (n && d.ptr != (const char *)p)))
        abort();
    uint8_t buf8[8];
    fr_slice_t out;
    if (fr_serde_encode(s, &d, buf8, &out) != 0 || !same(out, p, n))
        abort();
}

static void windowed(const fr_serde_t *ks, int64_t size_ms, const uint8_t *p, size_t n) {
    fr_datum_t d = fr_datum_bytes(p, n);
    fr_windowed_t w;
    int rc = fr_windowed_key(&d, ks, size_ms, &w);
    size_t suffix = size_ms > 0 ? 8 : 16;
    if (rc != 0 && rc != FR_ERR_PARSE)
        abort();
    if (n < suffix) {
        if (rc != FR_ERR_PARSE)
            abort();
        return;
    }
    if (rc) {
        /* Only the key bytes can be at fault; string and bytes keys never are. */
        if (fr_serde_type(ks) == FR_TYPE_BYTES || fr_serde_type(ks) == FR_TYPE_STRING)
            abort();
        return;
    }
    size_t kl = n - suffix;
    if (w.key.is_null || w.key.type != fr_serde_type(ks))
        abort();
    if (fr_serde_type(ks) != FR_TYPE_INT64 && fr_serde_type(ks) != FR_TYPE_DOUBLE &&
        (w.key.len != kl || (kl && w.key.ptr != (const char *)p)))
        abort();
    if (size_ms > 0) {
        int64_t start = be64(p + kl);
        /* end = start + size, saturated at INT64_MAX as Kafka's timeWindowForSize */
        int64_t end = start > INT64_MAX - size_ms ? INT64_MAX : start + size_ms;
        if (w.start != start || w.end != end)
            abort();
    } else if (w.end != be64(p + kl) || w.start != be64(p + kl + 8)) {
        abort();
    }
}

static void change(fr_scratch_t *s, const uint8_t *p, size_t n) {
    fr_slice_t nv, ov, out;
    int rc = fr_change_decode((fr_slice_t){p, (int32_t)n}, &nv, &ov);
    if (rc != 0 && rc != FR_ERR_PARSE)
        abort();
    if (rc)
        return;
    if (fr_change_encode(s, nv, ov, &out) != 0 || !same(out, p, n))
        abort();
    fr_scratch_reset(s);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    static fr_scratch_t *scratch;
    if (!scratch)
        scratch = fr_scratch_new(4096);
    if (size > INT32_MAX)
        return 0;
    uint8_t *copy = malloc(size ? size : 1); /* exact size, so ASan sees any over-read */
    memcpy(copy, data, size);

    const fr_serde_t *all[] = {fr_serde_bytes(), fr_serde_string(), fr_serde_int64(), fr_serde_double(),
                               fr_serde_json()};
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++) {
        serdes(all[i], copy, size);
        fr_datum_t d;
        if (fr_serde_decode(all[i], FR_SLICE_NULL, &d) != 0 || !d.is_null)
            abort();
        windowed(all[i], 60000, copy, size);
        windowed(all[i], 0, copy, size);
    }
    change(scratch, copy, size);
    free(copy);
    return 0;
}
