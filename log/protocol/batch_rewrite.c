#include "batch_rewrite.h"

#include <string.h>

#include "compression.h"
#include "fr_err.h"

/* Re-computes the CRC after a change to the bytes it covers. */
static void reseal(uint8_t *batch, size_t len) {
    fr_put_be32(batch + FR_BATCH_OFF_CRC, fr_batch_compute_crc(batch, len));
}

void fr_batch_stamp_append_time(uint8_t *batch, size_t len, int64_t now_ms) {
    uint16_t attributes = fr_be16(batch + FR_BATCH_OFF_ATTRIBUTES);
    fr_put_be16(batch + FR_BATCH_OFF_ATTRIBUTES, (uint16_t)(attributes | FR_BATCH_ATTR_LOG_APPEND_TIME));
    fr_put_be64(batch + FR_BATCH_OFF_MAX_TIMESTAMP, (uint64_t)now_ms);
    reseal(batch, len);
}

void fr_batch_set_create_time(uint8_t *batch, size_t len, int64_t max_ts) {
    uint16_t attributes = fr_be16(batch + FR_BATCH_OFF_ATTRIBUTES);
    fr_put_be16(batch + FR_BATCH_OFF_ATTRIBUTES, (uint16_t)(attributes & ~FR_BATCH_ATTR_LOG_APPEND_TIME));
    fr_put_be64(batch + FR_BATCH_OFF_MAX_TIMESTAMP, (uint64_t)max_ts);
    reseal(batch, len);
}

int fr_batch_recompress(const uint8_t *batch, size_t len, const fr_batch_header_t *h, int codec, int level,
                        fr_writer_t *scratch, fr_writer_t *out, const char **why) {
    const char *unused;
    if (!why)
        why = &unused;
    *why = NULL;
    if (codec < FR_COMPRESSION_NONE || codec > FR_COMPRESSION_ZSTD) {
        *why = "unknown compression codec";
        return FR_ERR_UNSUPPORTED_COMPRESSION_TYPE;
    }

    const uint8_t *records = batch + FR_BATCH_HEADER_SIZE;
    size_t records_len = len - FR_BATCH_HEADER_SIZE;
    int rc;
    if (fr_batch_compression(h) != FR_COMPRESSION_NONE) {
        /* decompressed and walked once: validation did not look inside */
        fr_record_iter_t it;
        fr_record_t rec;
        rc = fr_record_iter_init_any(&it, batch, len, h, scratch, 0);
        while (rc == 0 && fr_record_iter_next(&it, &rec))
            ;
        if (rc || it.err) {
            *why = it.why;
            return fr_undecodable_to_produce_error(it.err ? it.err : rc);
        }
        records = scratch->buf;
        records_len = scratch->len;
    }

    size_t start = out->len;
    fr_write_raw(out, batch, FR_BATCH_HEADER_SIZE);
    if (codec == FR_COMPRESSION_NONE)
        fr_write_raw(out, records, records_len);
    else if ((rc = fr_compress_level(codec, level, records, records_len, out)) != 0)
        goto fail;
    if (out->err) {
        rc = FR_ERR_NOMEM;
        goto fail;
    }
    size_t new_len = out->len - start;
    if (new_len - FR_BATCH_LOG_OVERHEAD > INT32_MAX) {
        rc = FR_ERR_RECORD_LIST_TOO_LARGE;
        goto fail;
    }
    uint8_t *b = out->buf + start;
    uint16_t attributes = (uint16_t)((h->attributes & ~FR_BATCH_ATTR_COMPRESSION_MASK) | codec);
    fr_put_be16(b + FR_BATCH_OFF_ATTRIBUTES, attributes);
    fr_put_be32(b + FR_BATCH_OFF_LENGTH, (uint32_t)(new_len - FR_BATCH_LOG_OVERHEAD));
    reseal(b, new_len);
    return 0;

fail:
    *why = rc == FR_ERR_NOMEM ? "out of memory" : "the records do not compress";
    out->len = start;
    return rc;
}
