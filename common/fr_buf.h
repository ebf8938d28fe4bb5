/*
 * fr_buf.h — bounds-checked reading and growable writing of Kafka's encodings.
 *
 * fr_reader_t reads big-endian integers, zig-zag varints, unsigned varints and
 * byte runs from a borrowed buffer.  Every read checks the bytes left; the first
 * failure makes the reader sticky-failed (r->err = FR_ERR_PARSE) and records
 * where it happened, so a parser can do many reads and test once.  Slices that
 * a reader hands out point into the reader's buffer: they are valid as long as
 * that buffer is.
 *
 * fr_writer_t builds a message in a growable heap buffer and can splice file
 * ranges into it (fr_writer_put_file) so that fetch data goes out with
 * sendfile(2) and is never copied into memory (small ranges excepted).  The
 * writer owns its buffer and the references it was handed; fr_writer_free()
 * releases both.
 */
#ifndef FR_BUF_H
#define FR_BUF_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "fr_err.h"

/* A borrowed run of bytes.  len == -1 means null (Kafka's nullable strings/bytes). */
typedef struct fr_slice {
    const uint8_t *ptr;
    int32_t len;
} fr_slice_t;

#define FR_SLICE_NULL ((fr_slice_t){NULL, -1})
#define fr_slice_is_null(s) ((s).len < 0)
fr_slice_t fr_slice_from_cstr(const char *s);
/* 1 when the slice equals the NUL-terminated string (a null slice equals nothing). */
int fr_slice_eq_cstr(fr_slice_t s, const char *cstr);
/* strcmp-style order of a (non-null) slice against a C string. */
int fr_slice_cmp_cstr(fr_slice_t s, const char *cstr);
/* The same order between two slices (a null one as empty): bytes, then length. */
int fr_slice_cmp(fr_slice_t a, fr_slice_t b);
/*
 * What Java's String.length() says of these bytes decoded as UTF-8: UTF-16
 * code units, so a character outside the Basic Multilingual Plane counts
 * two, and each malformed sequence (its longest valid start, or one byte)
 * one U+FFFD.  Kafka states its string limits in these units.  0 for null.
 */
int64_t fr_slice_java_length(fr_slice_t s);
/*
 * Binary search in an array of pointers kept sorted by a string name
 * (name_of(item) gives it).  Returns the index of key, or -(insertion point)-1.
 */
long fr_sorted_search(void *const *items, size_t count, fr_slice_t key, const char *(*name_of)(const void *item));

typedef struct fr_reader {
    const uint8_t *base; /* start of the whole buffer, for error offsets */
    const uint8_t *p;
    const uint8_t *end;
    int err;             /* 0, or FR_ERR_PARSE once any read failed */
    size_t err_offset;   /* offset from base of the failing read */
    const char *err_what;/* what was being read (static string) */
} fr_reader_t;

void fr_reader_init(fr_reader_t *r, const void *buf, size_t len);
static inline size_t fr_reader_left(const fr_reader_t *r) { return (size_t)(r->end - r->p); }
static inline size_t fr_reader_offset(const fr_reader_t *r) { return (size_t)(r->p - r->base); }

/* All return 0 on success or FR_ERR_PARSE (and leave *out zeroed). */
int fr_read_i8(fr_reader_t *r, int8_t *out);
int fr_read_i16(fr_reader_t *r, int16_t *out);
int fr_read_u16(fr_reader_t *r, uint16_t *out);
int fr_read_i32(fr_reader_t *r, int32_t *out);
int fr_read_u32(fr_reader_t *r, uint32_t *out);
int fr_read_i64(fr_reader_t *r, int64_t *out);
int fr_read_f64(fr_reader_t *r, double *out);
int fr_read_bool(fr_reader_t *r, uint8_t *out);
int fr_read_uuid(fr_reader_t *r, uint8_t out[16]);
/* Zig-zag signed varints (record fields) and unsigned varints (compact lengths, tags). */
int fr_read_varint(fr_reader_t *r, int32_t *out);
int fr_read_varlong(fr_reader_t *r, int64_t *out);
int fr_read_uvarint(fr_reader_t *r, uint32_t *out);
/* Borrow n bytes. */
int fr_read_raw(fr_reader_t *r, size_t n, const uint8_t **out);
int fr_read_skip(fr_reader_t *r, size_t n);
/* Kafka strings/bytes: classic (int16 / int32 length) and compact (uvarint length+1).
 * nullable=0 turns a null encoding into FR_ERR_PARSE. */
int fr_read_string(fr_reader_t *r, int compact, int nullable, fr_slice_t *out);
int fr_read_bytes(fr_reader_t *r, int compact, int nullable, fr_slice_t *out);
/* Array count (classic int32, compact uvarint-1).  -1 means null.  The count is
 * checked against the bytes left assuming each element takes at least
 * min_elem_size bytes, so a hostile count never drives an allocation. */
int fr_read_array_len(fr_reader_t *r, int compact, size_t min_elem_size, int32_t *out);
/* Skips a tagged-field section (flexible versions), ignoring every tag. */
int fr_read_skip_tags(fr_reader_t *r);
/* Marks the reader failed (for semantic errors found by a parser). */
int fr_reader_fail(fr_reader_t *r, const char *what);

/* A file range spliced into a writer.  The writer calls unref(ref) when done. */
typedef struct fr_wfile {
    size_t at;         /* memory offset at which the range is inserted */
    int fd;
    int64_t offset;
    size_t len;
    void (*unref)(void *ref);
    void *ref;
} fr_wfile_t;

typedef struct fr_writer {
    uint8_t *buf;
    size_t len, cap;
    fr_wfile_t *files;
    size_t nfiles, files_cap;
    size_t file_bytes; /* sum of files[].len */
    int err;           /* 0, or FR_ERR_NOMEM once an allocation failed */
} fr_writer_t;

void fr_writer_init(fr_writer_t *w);
/* Frees the buffer and drops every file reference. */
void fr_writer_free(fr_writer_t *w);
/* Empties the writer but keeps its buffer for reuse. Drops file references. */
void fr_writer_reset(fr_writer_t *w);
/* Total encoded size: memory bytes plus spliced file bytes. */
static inline size_t fr_writer_size(const fr_writer_t *w) { return w->len + w->file_bytes; }
/* Ensures room for n more bytes; returns a pointer to write them or NULL (w->err set). */
uint8_t *fr_writer_room(fr_writer_t *w, size_t n);

void fr_write_i8(fr_writer_t *w, int8_t v);
void fr_write_i16(fr_writer_t *w, int16_t v);
void fr_write_u16(fr_writer_t *w, uint16_t v);
void fr_write_i32(fr_writer_t *w, int32_t v);
void fr_write_u32(fr_writer_t *w, uint32_t v);
void fr_write_i64(fr_writer_t *w, int64_t v);
void fr_write_f64(fr_writer_t *w, double v);
void fr_write_bool(fr_writer_t *w, uint8_t v);
void fr_write_uuid(fr_writer_t *w, const uint8_t v[16]);
void fr_write_varint(fr_writer_t *w, int32_t v);
void fr_write_varlong(fr_writer_t *w, int64_t v);
void fr_write_uvarint(fr_writer_t *w, uint32_t v);
void fr_write_raw(fr_writer_t *w, const void *p, size_t n);
void fr_write_string(fr_writer_t *w, int compact, fr_slice_t s);
void fr_write_bytes(fr_writer_t *w, int compact, fr_slice_t s);
void fr_write_array_len(fr_writer_t *w, int compact, int32_t n);
/* An empty tagged-field section. */
void fr_write_empty_tags(fr_writer_t *w);
/* Reserves n bytes to be filled later (returns their offset). */
size_t fr_writer_reserve(fr_writer_t *w, size_t n);
void fr_writer_patch_i32(fr_writer_t *w, size_t at, int32_t v);
/* Splices a file range at the current position.  The writer owns the
 * reference from here on, even on failure (it then calls unref at once).
 * Ranges up to FR_WRITER_INLINE_FILE bytes are read into the buffer instead
 * (the reference is dropped at once): a tail consumer's few hundred bytes
 * then leave in the same write as the response around them, one segment
 * rather than a writev and a sendfile.  Callers hand over ranges the page
 * cache holds (the fetch warms cold ones first), so the read does not wait. */
#define FR_WRITER_INLINE_FILE 16384
void fr_writer_put_file(fr_writer_t *w, int fd, int64_t offset, size_t len,
                        void (*unref)(void *ref), void *ref);

/* Size of an unsigned varint encoding. */
size_t fr_uvarint_size(uint32_t v);
size_t fr_varint_size(int32_t v);
size_t fr_varlong_size(int64_t v);

/* Big-endian helpers for code that patches bytes in place. */
static inline uint32_t fr_be32(const uint8_t *p) {
    return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | p[3];
}
static inline uint16_t fr_be16(const uint8_t *p) { return (uint16_t)((p[0] << 8) | p[1]); }
static inline uint64_t fr_be64(const uint8_t *p) {
    return ((uint64_t)fr_be32(p) << 32) | fr_be32(p + 4);
}
static inline void fr_put_be32(uint8_t *p, uint32_t v) {
    p[0] = (uint8_t)(v >> 24); p[1] = (uint8_t)(v >> 16); p[2] = (uint8_t)(v >> 8); p[3] = (uint8_t)v;
}
static inline void fr_put_be16(uint8_t *p, uint16_t v) { p[0] = (uint8_t)(v >> 8); p[1] = (uint8_t)v; }
static inline void fr_put_be64(uint8_t *p, uint64_t v) {
    fr_put_be32(p, (uint32_t)(v >> 32)); fr_put_be32(p + 4, (uint32_t)v);
}

#endif
