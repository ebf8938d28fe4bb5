/* fr_codec.c — helpers shared by the generated codecs; see fr_codec.h. */
#include "fr_codec.h"

void *fr_codec_read_array(fr_reader_t *r, int compact, int nullable, size_t min_elem_size,
                          size_t elem_size, fr_arena_t *arena, int32_t *count) {
    int32_t n;
    void *items;

    *count = 0;
    if (fr_read_array_len(r, compact, min_elem_size, &n))
        return NULL;
    if (n < 0) {
        if (!nullable)
            fr_reader_fail(r, "null array");
        else
            *count = -1;
        return NULL;
    }
    if (n == 0)
        return NULL;
    items = fr_arena_calloc(arena, (size_t)n, elem_size);
    if (!items) {
        fr_reader_fail(r, "array allocation");
        return NULL;
    }
    *count = n;
    return items;
}

void fr_codec_read_records(fr_reader_t *r, int compact, int nullable, fr_records_t *out) {
    fr_slice_t s;

    *out = FR_RECORDS_NULL;
    if (fr_read_bytes(r, compact, nullable, &s))
        return;
    /* The request buffer belongs to the caller and is writable: the produce
     * path patches base offsets in place, so records are not const. */
    out->ptr = (uint8_t *)s.ptr;
    out->len = s.len;
}

void fr_codec_tag_end(fr_reader_t *r, const uint8_t *start, uint32_t size) {
    if (!r->err && (size_t)(r->p - start) != size)
        fr_reader_fail(r, "tagged field size");
}

void fr_codec_write_string(fr_writer_t *w, int compact, int nullable, fr_slice_t s) {
    if (s.len < 0 && !nullable)
        s = (fr_slice_t){NULL, 0};
    fr_write_string(w, compact, s);
}

void fr_codec_write_bytes(fr_writer_t *w, int compact, int nullable, fr_slice_t s) {
    if (s.len < 0 && !nullable)
        s = (fr_slice_t){NULL, 0};
    fr_write_bytes(w, compact, s);
}

void fr_codec_write_array_len(fr_writer_t *w, int compact, int nullable, int32_t count) {
    if (count < 0 && !nullable)
        count = 0;
    fr_write_array_len(w, compact, count);
}

void fr_codec_write_records(fr_writer_t *w, int compact, int nullable, const fr_records_t *rec) {
    int32_t len = rec->len;

    if (len < 0 && (!nullable || rec->fd >= 0))
        len = 0;
    if (compact)
        fr_write_uvarint(w, (uint32_t)(len + 1));
    else
        fr_write_i32(w, len);
    if (rec->fd >= 0)
        fr_writer_put_file(w, rec->fd, rec->file_offset, (size_t)len, rec->unref, rec->ref);
    else if (len > 0)
        fr_write_raw(w, rec->ptr, (size_t)len);
}

void fr_codec_write_tag(fr_writer_t *w, uint32_t tag, fr_writer_t *value) {
    fr_write_uvarint(w, tag);
    fr_write_uvarint(w, (uint32_t)value->len);
    fr_write_raw(w, value->buf, value->len);
    if (value->err && !w->err)
        w->err = value->err;
    fr_writer_free(value);
}
