#include "fr_buf.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fr_array.h"

fr_slice_t fr_slice_from_cstr(const char *s) {
    if (!s)
        return FR_SLICE_NULL;
    return (fr_slice_t){(const uint8_t *)s, (int32_t)strlen(s)};
}

int fr_slice_eq_cstr(fr_slice_t s, const char *cstr) {
    if (s.len < 0 || !cstr)
        return 0;
    size_t n = strlen(cstr);
    return (size_t)s.len == n && (n == 0 || memcmp(s.ptr, cstr, n) == 0);
}

/* How many bytes from p (at most n) form the start of a valid UTF-8 sequence,
 * and how many the whole sequence needs (0 for a byte no sequence starts with). */
static void utf8_prefix(const uint8_t *p, size_t n, size_t *valid, size_t *need) {
    uint8_t b = p[0];
    uint8_t lo = 0x80, hi = 0xBF; /* the second byte's range (Unicode table 3-7) */
    if (b < 0x80) {
        *need = *valid = 1;
        return;
    }
    if (b >= 0xC2 && b <= 0xDF)
        *need = 2;
    else if (b >= 0xE0 && b <= 0xEF)
        *need = 3, lo = b == 0xE0 ? 0xA0 : 0x80, hi = b == 0xED ? 0x9F : 0xBF;
    else if (b >= 0xF0 && b <= 0xF4)
        *need = 4, lo = b == 0xF0 ? 0x90 : 0x80, hi = b == 0xF4 ? 0x8F : 0xBF;
    else {
        *need = 0, *valid = 1;
        return;
    }
    *valid = 1;
    while (*valid < *need && *valid < n) {
        uint8_t c = p[*valid];
        if (*valid == 1 ? (c < lo || c > hi) : (c < 0x80 || c > 0xBF))
            break;
        (*valid)++;
    }
}

int64_t fr_slice_java_length(fr_slice_t s) {
    int64_t units = 0;
    size_t n = s.len > 0 ? (size_t)s.len : 0;
    for (size_t i = 0; i < n;) {
        size_t valid, need;
        utf8_prefix(s.ptr + i, n - i, &valid, &need);
        units += valid == need && need == 4 ? 2 : 1; /* a surrogate pair, or one char (or U+FFFD) */
        i += valid;
    }
    return units;
}

int fr_slice_cmp_cstr(fr_slice_t s, const char *cstr) {
    size_t bl = strlen(cstr), al = s.len > 0 ? (size_t)s.len : 0;
    int c = (al < bl ? al : bl) ? memcmp(s.ptr, cstr, al < bl ? al : bl) : 0;
    return c ? c : (al < bl ? -1 : al > bl ? 1 : 0);
}

int fr_slice_cmp(fr_slice_t a, fr_slice_t b) {
    int32_t al = a.len > 0 ? a.len : 0, bl = b.len > 0 ? b.len : 0, n = al < bl ? al : bl;
    int c = n ? memcmp(a.ptr, b.ptr, (size_t)n) : 0;
    return c ? c : (al > bl) - (al < bl);
}

long fr_sorted_search(void *const *items, size_t count, fr_slice_t key, const char *(*name_of)(const void *item)) {
    size_t lo = 0, hi = count;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = fr_slice_cmp_cstr(key, name_of(items[mid]));
        if (c == 0)
            return (long)mid;
        if (c < 0)
            hi = mid;
        else
            lo = mid + 1;
    }
    return -(long)lo - 1;
}

/* ---- reader ---- */

void fr_reader_init(fr_reader_t *r, const void *buf, size_t len) {
    static const uint8_t empty[1];
    /* NULL + 0 is undefined behaviour: point an empty reader at a real object */
    r->base = r->p = buf ? (const uint8_t *)buf : empty;
    r->end = r->p + (buf ? len : 0);
    r->err = 0;
    r->err_offset = 0;
    r->err_what = NULL;
}

int fr_reader_fail(fr_reader_t *r, const char *what) {
    if (!r->err) {
        r->err = FR_ERR_PARSE;
        r->err_offset = fr_reader_offset(r);
        r->err_what = what;
    }
    return FR_ERR_PARSE;
}

/* Checks that n bytes are left; on failure marks the reader. */
static inline int need(fr_reader_t *r, size_t n, const char *what) {
    if (r->err)
        return FR_ERR_PARSE;
    if ((size_t)(r->end - r->p) < n)
        return fr_reader_fail(r, what);
    return 0;
}

int fr_read_i8(fr_reader_t *r, int8_t *out) {
    *out = 0;
    if (need(r, 1, "int8"))
        return FR_ERR_PARSE;
    *out = (int8_t)*r->p++;
    return 0;
}

int fr_read_bool(fr_reader_t *r, uint8_t *out) {
    *out = 0;
    if (need(r, 1, "bool"))
        return FR_ERR_PARSE;
    *out = *r->p++ != 0;
    return 0;
}

int fr_read_i16(fr_reader_t *r, int16_t *out) {
    *out = 0;
    if (need(r, 2, "int16"))
        return FR_ERR_PARSE;
    *out = (int16_t)fr_be16(r->p);
    r->p += 2;
    return 0;
}

int fr_read_u16(fr_reader_t *r, uint16_t *out) {
    *out = 0;
    if (need(r, 2, "uint16"))
        return FR_ERR_PARSE;
    *out = fr_be16(r->p);
    r->p += 2;
    return 0;
}

int fr_read_i32(fr_reader_t *r, int32_t *out) {
    *out = 0;
    if (need(r, 4, "int32"))
        return FR_ERR_PARSE;
    *out = (int32_t)fr_be32(r->p);
    r->p += 4;
    return 0;
}

int fr_read_u32(fr_reader_t *r, uint32_t *out) {
    *out = 0;
    if (need(r, 4, "uint32"))
        return FR_ERR_PARSE;
    *out = fr_be32(r->p);
    r->p += 4;
    return 0;
}

int fr_read_i64(fr_reader_t *r, int64_t *out) {
    *out = 0;
    if (need(r, 8, "int64"))
        return FR_ERR_PARSE;
    *out = (int64_t)fr_be64(r->p);
    r->p += 8;
    return 0;
}

int fr_read_f64(fr_reader_t *r, double *out) {
    *out = 0;
    if (need(r, 8, "float64"))
        return FR_ERR_PARSE;
    uint64_t u = fr_be64(r->p);
    memcpy(out, &u, sizeof(*out));
    r->p += 8;
    return 0;
}

int fr_read_uuid(fr_reader_t *r, uint8_t out[16]) {
    memset(out, 0, 16);
    if (need(r, 16, "uuid"))
        return FR_ERR_PARSE;
    memcpy(out, r->p, 16);
    r->p += 16;
    return 0;
}

static int read_uvarlong(fr_reader_t *r, uint64_t *out, int max_bytes, const char *what) {
    uint64_t v = 0;
    *out = 0;
    if (r->err)
        return FR_ERR_PARSE;
    for (int i = 0; i < max_bytes; i++) {
        if (r->p >= r->end)
            return fr_reader_fail(r, what);
        uint8_t b = *r->p++;
        v |= (uint64_t)(b & 0x7f) << (7 * i);
        if (!(b & 0x80)) {
            *out = v;
            return 0;
        }
    }
    return fr_reader_fail(r, what); /* too long */
}

int fr_read_uvarint(fr_reader_t *r, uint32_t *out) {
    uint64_t v;
    *out = 0;
    if (read_uvarlong(r, &v, 5, "uvarint"))
        return FR_ERR_PARSE;
    if (v > UINT32_MAX)
        return fr_reader_fail(r, "uvarint");
    *out = (uint32_t)v;
    return 0;
}

int fr_read_varint(fr_reader_t *r, int32_t *out) {
    uint64_t v;
    *out = 0;
    if (read_uvarlong(r, &v, 5, "varint"))
        return FR_ERR_PARSE;
    if (v > UINT32_MAX)
        return fr_reader_fail(r, "varint");
    uint32_t u = (uint32_t)v;
    *out = (int32_t)((u >> 1) ^ (~(u & 1) + 1));
    return 0;
}

int fr_read_varlong(fr_reader_t *r, int64_t *out) {
    uint64_t u;
    *out = 0;
    if (read_uvarlong(r, &u, 10, "varlong"))
        return FR_ERR_PARSE;
    *out = (int64_t)((u >> 1) ^ (~(u & 1) + 1));
    return 0;
}

int fr_read_raw(fr_reader_t *r, size_t n, const uint8_t **out) {
    *out = NULL;
    if (need(r, n, "bytes"))
        return FR_ERR_PARSE;
    *out = r->p;
    r->p += n;
    return 0;
}

int fr_read_skip(fr_reader_t *r, size_t n) {
    if (need(r, n, "skip"))
        return FR_ERR_PARSE;
    r->p += n;
    return 0;
}

static int read_len_prefixed(fr_reader_t *r, int compact, int nullable, int wide,
                             fr_slice_t *out, const char *what) {
    int64_t len;
    *out = FR_SLICE_NULL;
    if (compact) {
        uint32_t u;
        if (fr_read_uvarint(r, &u))
            return FR_ERR_PARSE;
        len = (int64_t)u - 1;
    } else if (wide) {
        int32_t l;
        if (fr_read_i32(r, &l))
            return FR_ERR_PARSE;
        len = l;
    } else {
        int16_t l;
        if (fr_read_i16(r, &l))
            return FR_ERR_PARSE;
        len = l;
    }
    if (len < 0) {
        if (len == -1 && nullable)
            return 0;
        return fr_reader_fail(r, what);
    }
    if (need(r, (size_t)len, what))
        return FR_ERR_PARSE;
    out->ptr = r->p;
    out->len = (int32_t)len;
    r->p += len;
    return 0;
}

int fr_read_string(fr_reader_t *r, int compact, int nullable, fr_slice_t *out) {
    return read_len_prefixed(r, compact, nullable, 0, out, "string");
}

int fr_read_bytes(fr_reader_t *r, int compact, int nullable, fr_slice_t *out) {
    return read_len_prefixed(r, compact, nullable, 1, out, "bytes");
}

int fr_read_array_len(fr_reader_t *r, int compact, size_t min_elem_size, int32_t *out) {
    int64_t n;
    *out = 0;
    if (compact) {
        uint32_t u;
        if (fr_read_uvarint(r, &u))
            return FR_ERR_PARSE;
        n = (int64_t)u - 1;
    } else {
        int32_t l;
        if (fr_read_i32(r, &l))
            return FR_ERR_PARSE;
        n = l;
    }
    if (n < -1)
        return fr_reader_fail(r, "array length");
    if (n > 0 && (uint64_t)n * (min_elem_size ? min_elem_size : 1) > fr_reader_left(r))
        return fr_reader_fail(r, "array length");
    *out = (int32_t)n;
    return 0;
}

int fr_read_skip_tags(fr_reader_t *r) {
    uint32_t ntags, tag, size;
    if (fr_read_uvarint(r, &ntags))
        return FR_ERR_PARSE;
    for (uint32_t i = 0; i < ntags; i++) {
        if (fr_read_uvarint(r, &tag) || fr_read_uvarint(r, &size) || fr_read_skip(r, size))
            return FR_ERR_PARSE;
    }
    return 0;
}

/* ---- writer ---- */

void fr_writer_init(fr_writer_t *w) { memset(w, 0, sizeof(*w)); }

static void drop_files(fr_writer_t *w) {
    for (size_t i = 0; i < w->nfiles; i++)
        if (w->files[i].unref)
            w->files[i].unref(w->files[i].ref);
    w->nfiles = 0;
    w->file_bytes = 0;
}

void fr_writer_free(fr_writer_t *w) {
    drop_files(w);
    free(w->buf);
    free(w->files);
    memset(w, 0, sizeof(*w));
}

void fr_writer_reset(fr_writer_t *w) {
    drop_files(w);
    w->len = 0;
    w->err = 0;
}

uint8_t *fr_writer_room(fr_writer_t *w, size_t n) {
    if (w->err)
        return NULL;
    if (w->cap - w->len < n && (n > SIZE_MAX - w->len || FR_ARRAY_GROW(w->buf, w->cap, w->len + n, 256))) {
        w->err = FR_ERR_NOMEM;
        return NULL;
    }
    return w->buf + w->len;
}

void fr_write_raw(fr_writer_t *w, const void *p, size_t n) {
    uint8_t *dst = fr_writer_room(w, n);
    if (!dst)
        return;
    if (n)
        memcpy(dst, p, n);
    w->len += n;
}

void fr_write_i8(fr_writer_t *w, int8_t v) { fr_write_raw(w, &v, 1); }
void fr_write_bool(fr_writer_t *w, uint8_t v) { uint8_t b = v ? 1 : 0; fr_write_raw(w, &b, 1); }

void fr_write_i16(fr_writer_t *w, int16_t v) { fr_write_u16(w, (uint16_t)v); }
void fr_write_u16(fr_writer_t *w, uint16_t v) {
    uint8_t b[2];
    fr_put_be16(b, v);
    fr_write_raw(w, b, 2);
}
void fr_write_i32(fr_writer_t *w, int32_t v) { fr_write_u32(w, (uint32_t)v); }
void fr_write_u32(fr_writer_t *w, uint32_t v) {
    uint8_t b[4];
    fr_put_be32(b, v);
    fr_write_raw(w, b, 4);
}
void fr_write_i64(fr_writer_t *w, int64_t v) {
    uint8_t b[8];
    fr_put_be64(b, (uint64_t)v);
    fr_write_raw(w, b, 8);
}
void fr_write_f64(fr_writer_t *w, double v) {
    uint64_t u;
    memcpy(&u, &v, sizeof(u));
    uint8_t b[8];
    fr_put_be64(b, u);
    fr_write_raw(w, b, 8);
}
void fr_write_uuid(fr_writer_t *w, const uint8_t v[16]) { fr_write_raw(w, v, 16); }

static void write_uvarlong(fr_writer_t *w, uint64_t u) {
    uint8_t b[10];
    size_t n = 0;
    while (u >= 0x80) {
        b[n++] = (uint8_t)(u | 0x80);
        u >>= 7;
    }
    b[n++] = (uint8_t)u;
    fr_write_raw(w, b, n);
}

void fr_write_uvarint(fr_writer_t *w, uint32_t v) { write_uvarlong(w, v); }
void fr_write_varint(fr_writer_t *w, int32_t v) {
    write_uvarlong(w, (uint32_t)(((uint32_t)v << 1) ^ (uint32_t)(v >> 31)));
}
void fr_write_varlong(fr_writer_t *w, int64_t v) {
    write_uvarlong(w, ((uint64_t)v << 1) ^ (uint64_t)(v >> 63));
}

size_t fr_uvarint_size(uint32_t v) {
    size_t n = 1;
    while (v >= 0x80) {
        v >>= 7;
        n++;
    }
    return n;
}
size_t fr_varint_size(int32_t v) {
    return fr_uvarint_size(((uint32_t)v << 1) ^ (uint32_t)(v >> 31));
}
size_t fr_varlong_size(int64_t v) {
    uint64_t u = ((uint64_t)v << 1) ^ (uint64_t)(v >> 63);
    size_t n = 1;
    while (u >= 0x80) {
        u >>= 7;
        n++;
    }
    return n;
}

void fr_write_string(fr_writer_t *w, int compact, fr_slice_t s) {
    if (compact)
        fr_write_uvarint(w, (uint32_t)(s.len + 1));
    else
        fr_write_i16(w, (int16_t)s.len);
    if (s.len > 0)
        fr_write_raw(w, s.ptr, (size_t)s.len);
}

void fr_write_bytes(fr_writer_t *w, int compact, fr_slice_t s) {
    if (compact)
        fr_write_uvarint(w, (uint32_t)(s.len + 1));
    else
        fr_write_i32(w, s.len);
    if (s.len > 0)
        fr_write_raw(w, s.ptr, (size_t)s.len);
}

void fr_write_array_len(fr_writer_t *w, int compact, int32_t n) {
    if (compact)
        fr_write_uvarint(w, (uint32_t)(n + 1));
    else
        fr_write_i32(w, n);
}

void fr_write_empty_tags(fr_writer_t *w) { fr_write_uvarint(w, 0); }

size_t fr_writer_reserve(fr_writer_t *w, size_t n) {
    size_t at = w->len;
    uint8_t *dst = fr_writer_room(w, n);
    if (dst) {
        memset(dst, 0, n);
        w->len += n;
    }
    return at;
}

void fr_writer_patch_i32(fr_writer_t *w, size_t at, int32_t v) {
    if (!w->err && at + 4 <= w->len)
        fr_put_be32(w->buf + at, (uint32_t)v);
}

/* Reads a small range into the buffer; 0, or -1 (nothing added) when the read fails or comes short. */
static int writer_inline_file(fr_writer_t *w, int fd, int64_t offset, size_t len) {
    uint8_t *dst = fr_writer_room(w, len);
    if (!dst)
        return -1;
    size_t got = 0;
    while (got < len) {
        ssize_t r = pread(fd, dst + got, len - got, (off_t)offset + (off_t)got);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            return -1; /* the sendfile path meets the same fault and reports it */
        got += (size_t)r;
    }
    w->len += len;
    return 0;
}

void fr_writer_put_file(fr_writer_t *w, int fd, int64_t offset, size_t len,
                        void (*unref)(void *ref), void *ref) {
    int inlined = !w->err && len > 0 && len <= FR_WRITER_INLINE_FILE && writer_inline_file(w, fd, offset, len) == 0;
    if (inlined || w->err || len == 0) {
        if (unref)
            unref(ref);
        return;
    }
    if (FR_ARRAY_GROW(w->files, w->files_cap, w->nfiles + 1, 8)) {
        w->err = FR_ERR_NOMEM;
        if (unref)
            unref(ref);
        return;
    }
    w->files[w->nfiles++] = (fr_wfile_t){w->len, fd, offset, len, unref, ref};
    w->file_bytes += len;
}
