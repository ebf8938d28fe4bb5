/*
 * test_store_helpers.h — what the store tests share: temp task directories
 * and a listener that records every call it gets.
 */
#ifndef TEST_STORE_HELPERS_H
#define TEST_STORE_HELPERS_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fr_store.h"
#include "fr_test.h"

/* A slice of a string literal that may hold NUL bytes. */
#define SL(lit) ((fr_slice_t){(const uint8_t *)(lit), (int32_t)(sizeof(lit) - 1)})

static inline char *tmp_dir_make(void) {
    char *d = strdup("/tmp/fr-store-test-XXXXXX");
    if (!d || !mkdtemp(d)) {
        perror("mkdtemp");
        exit(2);
    }
    return d;
}

/* A task directory below the temp dir, as the runtime lays them out. */
static inline void task_dir(char *out, size_t n, const char *tmp) { snprintf(out, n, "%s/app/0_0", tmp); }

static inline void tmp_dir_remove(char *d) {
    FR_CHECK_EQ_INT(fr_store_env_destroy_dir(d), 0);
    free(d);
}

/* 1 when the slice holds exactly these bytes (a null slice matches only NULL). */
static inline int slice_is(fr_slice_t s, const void *bytes, int32_t len) {
    if (!bytes)
        return fr_slice_is_null(s);
    return !fr_slice_is_null(s) && s.len == len && (len == 0 || memcmp(s.ptr, bytes, (size_t)len) == 0);
}
#define SLICE_IS(s, lit) slice_is((s), (lit), (int32_t)(sizeof(lit) - 1))

/* ---- a recording listener ---- */

enum { EV_LOG = 1, EV_FORWARD = 2 };

typedef struct rec_bytes {
    uint8_t *p;
    int32_t len; /* -1: null */
} rec_bytes_t;

typedef struct rec_event {
    int kind;
    char store[64];
    rec_bytes_t key, new_value, old_value;
    int64_t ts;
} rec_event_t;

typedef struct recorder {
    rec_event_t ev[4096];
    size_t n;
    int fail_with; /* a nonzero return for the next call */
    /* Optional re-entrant action run inside forward (a downstream processor). */
    int (*on_forward)(void *arg, fr_slice_t key, fr_slice_t new_value);
    void *on_forward_arg;
} recorder_t;

static inline rec_bytes_t rec_copy(fr_slice_t s) {
    rec_bytes_t b = {NULL, s.len < 0 ? -1 : s.len};
    if (s.len >= 0) {
        b.p = malloc((size_t)s.len + 1);
        if (s.len)
            memcpy(b.p, s.ptr, (size_t)s.len);
    }
    return b;
}

static inline int rec_add(recorder_t *r, int kind, const char *store, fr_slice_t key, fr_slice_t nv, fr_slice_t ov,
                          int64_t ts) {
    if (r->fail_with) {
        int rc = r->fail_with;
        r->fail_with = 0;
        return rc;
    }
    if (r->n == sizeof(r->ev) / sizeof(r->ev[0]))
        return -1;
    rec_event_t *e = &r->ev[r->n++];
    e->kind = kind;
    snprintf(e->store, sizeof(e->store), "%s", store);
    e->key = rec_copy(key);
    e->new_value = rec_copy(nv);
    e->old_value = rec_copy(ov);
    e->ts = ts;
    return 0;
}

static inline int rec_log(void *ctx, const char *store, fr_slice_t key, fr_slice_t value, int64_t ts) {
    return rec_add(ctx, EV_LOG, store, key, value, FR_SLICE_NULL, ts);
}

static inline int rec_forward(void *ctx, const char *store, fr_slice_t key, fr_slice_t nv, fr_slice_t ov,
                              int64_t ts) {
    recorder_t *r = ctx;
    int rc = rec_add(r, EV_FORWARD, store, key, nv, ov, ts);
    if (rc == 0 && r->on_forward)
        rc = r->on_forward(r->on_forward_arg, key, nv);
    return rc;
}

static inline void rec_reset(recorder_t *r) {
    for (size_t i = 0; i < r->n; i++) {
        free(r->ev[i].key.p);
        free(r->ev[i].new_value.p);
        free(r->ev[i].old_value.p);
    }
    r->n = 0;
}

static inline size_t rec_count(const recorder_t *r, int kind) {
    size_t n = 0;
    for (size_t i = 0; i < r->n; i++)
        n += r->ev[i].kind == kind;
    return n;
}

/* The i-th event of a kind, or NULL. */
static inline const rec_event_t *rec_nth(const recorder_t *r, int kind, size_t i) {
    for (size_t j = 0; j < r->n; j++)
        if (r->ev[j].kind == kind && i-- == 0)
            return &r->ev[j];
    return NULL;
}

static inline int bytes_is(rec_bytes_t b, const void *p, int32_t len) {
    if (!p)
        return b.len == -1;
    return b.len == len && (len == 0 || memcmp(b.p, p, (size_t)len) == 0);
}
#define BYTES_IS(b, lit) bytes_is((b), (lit), (int32_t)(sizeof(lit) - 1))

static inline fr_store_listener_t rec_listener(recorder_t *r) {
    return (fr_store_listener_t){r, rec_log, rec_forward};
}

/* Reads a whole small file into a NUL-terminated buffer (NULL if missing). */
static inline char *read_text(const char *path) {
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    static char buf[65536];
    size_t n = fread(buf, 1, sizeof(buf) - 1, f);
    fclose(f);
    buf[n] = '\0';
    return buf;
}

#endif
