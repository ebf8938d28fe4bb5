/* Helpers for the join tests: a joiner that shows both sides as Kafka's docs
 * do ("[A, a]", a missing side as "null"), piping strings, and reading every
 * unread output record of a topic into one comparable string. */
#ifndef TEST_JOIN_HELPERS_H
#define TEST_JOIN_HELPERS_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fr_test.h"
#include "freshet/streams.h"
#include "freshet/streams_test_driver.h"

static int pair_joiner(void *ctx, const fr_datum_t *key, const fr_datum_t *l, const fr_datum_t *r, fr_datum_t *out,
                       fr_scratch_t *s) {
    int *calls = ctx;
    if (calls)
        (*calls)++;
    char buf[256];
    int n = snprintf(buf, sizeof buf, "[%.*s, %.*s]", l->is_null ? 4 : (int)l->len, l->is_null ? "null" : l->ptr,
                     r->is_null ? 4 : (int)r->len, r->is_null ? "null" : r->ptr);
    char *p = fr_scratch_strndup(s, buf, (size_t)n);
    if (!p)
        return FR_ERR_NOMEM;
    *out = fr_datum_strn(p, (size_t)n);
    return 0;
}

static fr_streams_config_t *join_config(const char *app) {
    fr_streams_config_t *cfg = fr_streams_config_new();
    fr_streams_config_set(cfg, "application.id", app, NULL, 0);
    fr_streams_config_set(cfg, "cache.max.bytes.buffering", "0", NULL, 0);
    fr_streams_config_set(cfg, "default.key.serde", "string", NULL, 0);
    fr_streams_config_set(cfg, "default.value.serde", "string", NULL, 0);
    return cfg;
}

static int pipe_s(fr_test_driver_t *d, const char *topic, const char *k, const char *v, int64_t ts) {
    fr_datum_t kd = k ? fr_datum_str(k) : fr_datum_null(), vd = v ? fr_datum_str(v) : fr_datum_null();
    return fr_test_driver_pipe(d, topic, &kd, &vd, ts);
}

/* Every unread record of topic as "value, value, ..." (with_meta: "key:value@ts");
 * a null value prints as "null".  The result lives in a static buffer. */
static const char *outputs(fr_test_driver_t *d, const char *topic, int with_meta) {
    static char buf[4096];
    size_t len = 0;
    buf[0] = 0;
    fr_test_record_t r;
    while (fr_test_driver_read(d, topic, &r) == 1 && len < sizeof buf - 64) {
        if (len)
            len += (size_t)snprintf(buf + len, sizeof buf - len, ", ");
        if (with_meta)
            len += (size_t)snprintf(buf + len, sizeof buf - len, "%.*s:", r.key.len < 0 ? 4 : (int)r.key.len,
                                    r.key.len < 0 ? "null" : (const char *)r.key.ptr);
        len += (size_t)snprintf(buf + len, sizeof buf - len, "%.*s", r.value.len < 0 ? 4 : (int)r.value.len,
                                r.value.len < 0 ? "null" : (const char *)r.value.ptr);
        if (with_meta)
            len += (size_t)snprintf(buf + len, sizeof buf - len, "@%lld", (long long)r.timestamp);
    }
    return buf;
}

static fr_topology_t *build_or_fail(fr_builder_t *b, fr_streams_config_t *cfg) {
    fr_topology_t *t = NULL;
    char err[256] = "";
    int rc = fr_builder_build(b, cfg, &t, err, sizeof err);
    if (rc)
        fprintf(stderr, "  build failed: %s\n", err);
    FR_CHECK_EQ_INT(rc, 0);
    return t;
}

#endif
