/*
 * fr_serde.c — the built-in serdes (Kafka's Serdes.ByteArray, String, Long,
 * Double, and a JSON serde) and datum constructors.
 *
 * The wire forms are Kafka's, so a Java application reading our topics with
 * the same serdes sees the same values: Long and Double are 8 bytes
 * big-endian, String is the UTF-8 bytes, JSON is the text.
 */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "fr_graph.h"

struct fr_serde {
    fr_type_t type;
    const char *name;
    const char *kafka_class; /* Serdes$... simple name */
};

static const fr_serde_t k_serdes[] = {
    {FR_TYPE_BYTES, "bytes", "ByteArraySerde"},
    {FR_TYPE_STRING, "string", "StringSerde"},
    {FR_TYPE_INT64, "long", "LongSerde"},
    {FR_TYPE_DOUBLE, "double", "DoubleSerde"},
    {FR_TYPE_JSON, "json", "JsonSerde"},
};

const fr_serde_t *fr_serde_bytes(void) { return &k_serdes[0]; }
const fr_serde_t *fr_serde_string(void) { return &k_serdes[1]; }
const fr_serde_t *fr_serde_int64(void) { return &k_serdes[2]; }
const fr_serde_t *fr_serde_double(void) { return &k_serdes[3]; }
const fr_serde_t *fr_serde_json(void) { return &k_serdes[4]; }

const fr_serde_t *fr_serde_by_name(const char *name) {
    if (!name)
        return NULL;
    if (!strcasecmp(name, "int64"))
        return fr_serde_int64();
    /* Kafka class names: org.apache.kafka.common.serialization.Serdes$StringSerde */
    const char *simple = strrchr(name, '$');
    simple = simple ? simple + 1 : name;
    for (size_t i = 0; i < sizeof k_serdes / sizeof k_serdes[0]; i++)
        if (!strcasecmp(simple, k_serdes[i].name) || !strcasecmp(simple, k_serdes[i].kafka_class))
            return &k_serdes[i];
    if (!strcasecmp(simple, "BytesSerde"))
        return fr_serde_bytes();
    return NULL;
}

fr_type_t fr_serde_type(const fr_serde_t *s) { return s ? s->type : FR_TYPE_BYTES; }
const char *fr_serde_name(const fr_serde_t *s) { return s ? s->name : "default"; }

static const char *type_name(fr_type_t t) {
    switch (t) {
    case FR_TYPE_BYTES: return "bytes";
    case FR_TYPE_STRING: return "string";
    case FR_TYPE_INT64: return "int64";
    case FR_TYPE_DOUBLE: return "double";
    case FR_TYPE_JSON: return "json";
    }
    return "?";
}

static int json_valid(const char *p, size_t len) {
    json_error_t jerr;
    json_t *j = json_loadb(p, len, JSON_DECODE_ANY, &jerr);
    if (!j)
        return 0;
    json_decref(j);
    return 1;
}

void fr_serde_view(const fr_serde_t *s, fr_slice_t bytes, fr_datum_t *out) {
    memset(out, 0, sizeof *out);
    out->type = s->type;
    if (fr_slice_is_null(bytes)) {
        out->is_null = 1;
        return;
    }
    switch (s->type) {
    case FR_TYPE_INT64:
        out->i64 = bytes.len == 8 ? (int64_t)fr_be64(bytes.ptr) : 0;
        break;
    case FR_TYPE_DOUBLE:
        if (bytes.len == 8) {
            uint64_t u = fr_be64(bytes.ptr);
            memcpy(&out->f64, &u, sizeof u);
        }
        break;
    default:
        out->ptr = (const char *)bytes.ptr;
        out->len = (size_t)bytes.len;
        break;
    }
}

int fr_serde_decode(const fr_serde_t *s, fr_slice_t bytes, fr_datum_t *out) {
    if (!s || !out)
        return FR_ERR_INVALID_ARG;
    if (!fr_slice_is_null(bytes)) {
        if ((s->type == FR_TYPE_INT64 || s->type == FR_TYPE_DOUBLE) && bytes.len != 8)
            return FR_ERR_PARSE;
        if (s->type == FR_TYPE_JSON && !json_valid((const char *)bytes.ptr, (size_t)bytes.len))
            return FR_ERR_PARSE;
    }
    fr_serde_view(s, bytes, out);
    return 0;
}

int fr_serde_encode(const fr_serde_t *s, const fr_datum_t *d, uint8_t buf8[8], fr_slice_t *out) {
    if (!s || !d || !out)
        return FR_ERR_INVALID_ARG;
    if (d->is_null) {
        *out = FR_SLICE_NULL;
        return 0;
    }
    int bytelike = d->type == FR_TYPE_BYTES || d->type == FR_TYPE_STRING || d->type == FR_TYPE_JSON;
    switch (s->type) {
    case FR_TYPE_INT64:
    case FR_TYPE_DOUBLE: {
        if (d->type != s->type)
            return FR_ERR_INVALID_ARG;
        uint64_t u;
        if (s->type == FR_TYPE_INT64)
            u = (uint64_t)d->i64;
        else
            memcpy(&u, &d->f64, sizeof u);
        fr_put_be64(buf8, u);
        *out = (fr_slice_t){buf8, 8};
        return 0;
    }
    case FR_TYPE_JSON:
        if (!bytelike)
            return FR_ERR_INVALID_ARG;
        if (d->len > INT32_MAX)
            return FR_ERR_INVALID_ARG;
        if (d->type != FR_TYPE_JSON && !json_valid(d->ptr, d->len))
            return FR_ERR_PARSE;
        break;
    default:
        if (!bytelike || d->len > INT32_MAX)
            return FR_ERR_INVALID_ARG;
        break;
    }
    *out = (fr_slice_t){(const uint8_t *)(d->ptr ? d->ptr : ""), (int32_t)d->len};
    return 0;
}

const char *fr_type_str(fr_type_t t) { return type_name(t); }

/* ---- datums ---- */

fr_datum_t fr_datum_null(void) { return (fr_datum_t){.type = FR_TYPE_BYTES, .is_null = 1}; }
fr_datum_t fr_datum_strn(const char *s, size_t len) { return (fr_datum_t){.type = FR_TYPE_STRING, .ptr = s, .len = len}; }
fr_datum_t fr_datum_str(const char *s) { return s ? fr_datum_strn(s, strlen(s)) : fr_datum_null(); }
fr_datum_t fr_datum_bytes(const void *p, size_t len) { return (fr_datum_t){.type = FR_TYPE_BYTES, .ptr = p, .len = len}; }
fr_datum_t fr_datum_json(const char *text) {
    return text ? (fr_datum_t){.type = FR_TYPE_JSON, .ptr = text, .len = strlen(text)} : fr_datum_null();
}
fr_datum_t fr_datum_i64(int64_t v) { return (fr_datum_t){.type = FR_TYPE_INT64, .i64 = v}; }
fr_datum_t fr_datum_f64(double v) { return (fr_datum_t){.type = FR_TYPE_DOUBLE, .f64 = v}; }

int fr_datum_eq_str(const fr_datum_t *d, const char *s) {
    if (!d || d->is_null || !s || d->type == FR_TYPE_INT64 || d->type == FR_TYPE_DOUBLE)
        return 0;
    size_t n = strlen(s);
    return d->len == n && (n == 0 || memcmp(d->ptr, s, n) == 0);
}

/* ---- scratch ---- */

struct fr_scratch {
    fr_arena_t arena;
};

void *fr_scratch_alloc(fr_scratch_t *s, size_t n) { return s ? fr_arena_alloc(&s->arena, n ? n : 1) : NULL; }
char *fr_scratch_strndup(fr_scratch_t *s, const char *p, size_t n) {
    return s ? fr_arena_strndup(&s->arena, p, n) : NULL;
}
fr_scratch_t *fr_scratch_new(size_t block) {
    fr_scratch_t *s = calloc(1, sizeof *s);
    if (s)
        fr_arena_init(&s->arena, block);
    return s;
}
void fr_scratch_reset(fr_scratch_t *s) { fr_arena_reset(&s->arena); }
void fr_scratch_free(fr_scratch_t *s) {
    if (s) {
        fr_arena_free(&s->arena);
        free(s);
    }
}

/* ---- KTable changes through repartition topics ---- */

int fr_change_encode(fr_scratch_t *s, fr_slice_t nv, fr_slice_t ov, fr_slice_t *out) {
    size_t nl = fr_slice_is_null(nv) ? 0 : (size_t)nv.len, ol = fr_slice_is_null(ov) ? 0 : (size_t)ov.len;
    size_t total = 5 + nl + ol;
    if (total > INT32_MAX)
        return FR_ERR_INVALID_ARG;
    uint8_t *p = fr_scratch_alloc(s, total);
    if (!p)
        return FR_ERR_NOMEM;
    p[0] = (uint8_t)((fr_slice_is_null(nv) ? 0 : 1) | (fr_slice_is_null(ov) ? 0 : 2));
    fr_put_be32(p + 1, (uint32_t)nl);
    if (nl)
        memcpy(p + 5, nv.ptr, nl);
    if (ol)
        memcpy(p + 5 + nl, ov.ptr, ol);
    *out = (fr_slice_t){p, (int32_t)total};
    return 0;
}

int fr_change_decode(fr_slice_t b, fr_slice_t *nv, fr_slice_t *ov) {
    if (fr_slice_is_null(b) || b.len < 5)
        return FR_ERR_PARSE;
    uint8_t flags = b.ptr[0];
    uint32_t nl = fr_be32(b.ptr + 1);
    if (flags > 3 || nl > (uint32_t)(b.len - 5))
        return FR_ERR_PARSE;
    *nv = (flags & 1) ? (fr_slice_t){b.ptr + 5, (int32_t)nl} : FR_SLICE_NULL;
    *ov = (flags & 2) ? (fr_slice_t){b.ptr + 5 + nl, (int32_t)(b.len - 5 - (int32_t)nl)} : FR_SLICE_NULL;
    if (!(flags & 1) && nl)
        return FR_ERR_PARSE;
    if (!(flags & 2) && b.len - 5 - (int32_t)nl)
        return FR_ERR_PARSE;
    return 0;
}
