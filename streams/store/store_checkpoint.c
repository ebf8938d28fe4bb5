/*
 * store_checkpoint.c — the commit: changelog offsets stored in the same LMDB
 * transaction as the data they reflect, then Kafka's `.checkpoint` file.
 *
 * The meta database is the truth: a crash after the LMDB commit and before
 * the file's rewrite leaves an older file, which the next open rewrites.
 * The file exists for Kafka's tooling and habits (a wiped or missing
 * checkpoint means "restore from the start"); this code never reads it.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fr_fs.h"
#include "fr_logging.h"
#include "store_internal.h"

#define MAX_TOPIC_LEN 249 /* Kafka's limit */

static int check_topic(const fr_store_env_t *env, const char *topic, int32_t partition) {
    const char *why = NULL;
    if (!topic || !*topic)
        why = "empty topic name";
    else if (strlen(topic) > MAX_TOPIC_LEN)
        why = "topic name longer than 249 characters";
    else if (strpbrk(topic, " \t\r\n"))
        why = "topic name with blanks";
    else if (partition < 0)
        why = "negative partition";
    if (why)
        fr_error(FR_STORE_COMPONENT, "%s: changelog offset for %s-%" PRId32 ": %s", env->dir, topic ? topic : "(null)",
                 partition, why);
    return why ? FR_ERR_INVALID_ARG : 0;
}

/* 'o' ‖ topic ‖ 0 ‖ partition (4B BE): sorted by topic, then partition. */
static size_t offset_key(uint8_t *out, const char *topic, int32_t partition) {
    size_t n = strlen(topic);
    out[0] = 'o';
    memcpy(out + 1, topic, n);
    out[1 + n] = 0;
    store_put_be32(out + 2 + n, (uint32_t)partition);
    return n + 6;
}

/* The map cannot grow while other threads may hold snapshots (LMDB remaps
 * it), and a full map fails the whole transaction: say so early, once. */
static void warn_if_nearly_full(fr_store_env_t *env) {
    MDB_envinfo info;
    MDB_stat st;
    if (env->warned_full || mdb_env_info(env->mdb, &info) || mdb_env_stat(env->mdb, &st))
        return;
    size_t used = (info.me_last_pgno + 1) * (size_t)st.ms_psize;
    if (used / 8 * 10 > info.me_mapsize) {
        fr_warn(FR_STORE_COMPONENT,
                "%s: the LMDB map is %zu%% full (%zu of %zu bytes); raise freshet.state.store.map.bytes", env->dir,
                used * 100 / info.me_mapsize, used, info.me_mapsize);
        env->warned_full = 1;
    }
}

int fr_store_env_commit(fr_store_env_t *env, const fr_store_offset_t *offsets, size_t n) {
    int rc = store_env_ok(env);
    if (rc || (rc = store_check_owner(env, "commit")))
        return rc;
    if (env->flushing) {
        fr_error(FR_STORE_COMPONENT, "%s: commit from inside a flush listener", env->dir);
        return FR_ERR_INVALID_ARG;
    }
    if (n && !offsets)
        return FR_ERR_INVALID_ARG;
    for (size_t i = 0; i < n; i++)
        if ((rc = check_topic(env, offsets[i].topic, offsets[i].partition)))
            return rc;
    if ((rc = fr_store_env_flush(env)))
        return rc;
    for (size_t i = 0; i < n; i++) {
        uint8_t kbuf[MAX_TOPIC_LEN + 8], vbuf[8];
        store_put_be64(vbuf, offsets[i].offset);
        MDB_val k = {offset_key(kbuf, offsets[i].topic, offsets[i].partition), kbuf}, v = {8, vbuf};
        int m = mdb_put(env->txn, env->meta, &k, &v, 0);
        if (m)
            return store_fail(env, m, NULL, "store a changelog offset");
    }
    if ((rc = store_txn_cycle(env)))
        return rc;
    warn_if_nearly_full(env);
    return store_checkpoint_write(env);
}

int fr_store_env_checkpoint(fr_store_env_t *env, const char *topic, int32_t partition, int64_t *offset) {
    *offset = -1;
    int rc = store_env_ok(env);
    if (rc || (rc = check_topic(env, topic, partition)))
        return rc;
    uint8_t kbuf[MAX_TOPIC_LEN + 8];
    MDB_val k = {offset_key(kbuf, topic, partition), kbuf}, v;
    int m = mdb_get(env->txn, env->meta, &k, &v);
    if (m)
        return store_mdb_err(env, m, NULL, "read a changelog offset");
    if (v.mv_size != 8) {
        fr_error(FR_STORE_COMPONENT, "%s: changelog offset for %s-%" PRId32 " is corrupt", env->dir, topic, partition);
        return FR_ERR_CORRUPT;
    }
    *offset = store_get_be64(v.mv_data);
    return 0;
}

/* ---- the .checkpoint file ---- */

typedef struct text {
    char *buf;
    size_t len, cap;
} text_t;

static int text_addf(text_t *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int text_addf(text_t *t, const char *fmt, ...) {
    for (;;) {
        va_list ap;
        va_start(ap, fmt);
        int n = vsnprintf(t->buf ? t->buf + t->len : NULL, t->cap - t->len, fmt, ap);
        va_end(ap);
        if (n < 0)
            return FR_ERR_INVALID_ARG;
        if ((size_t)n < t->cap - t->len) {
            t->len += (size_t)n;
            return 0;
        }
        size_t cap = 2 * t->cap + (size_t)n + 64;
        char *p = realloc(t->buf, cap);
        if (!p)
            return FR_ERR_NOMEM;
        t->buf = p;
        t->cap = cap;
    }
}

/* "topic partition offset" lines for every committed offset; counts them. */
static int offset_lines(fr_store_env_t *env, text_t *t, size_t *count) {
    MDB_cursor *c;
    int m = mdb_cursor_open(env->txn, env->meta, &c);
    if (m)
        return store_mdb_err(env, m, NULL, "open a cursor on the meta database");
    uint8_t first = 'o';
    MDB_val k = {1, &first}, v;
    int rc = 0;
    *count = 0;
    for (m = mdb_cursor_get(c, &k, &v, MDB_SET_RANGE); m == 0 && rc == 0; m = mdb_cursor_get(c, &k, &v, MDB_NEXT)) {
        const uint8_t *p = k.mv_data;
        if (k.mv_size < 1 || p[0] != 'o')
            break;
        if (k.mv_size < 7 || k.mv_size > MAX_TOPIC_LEN + 6 || p[k.mv_size - 5] != 0 ||
            memchr(p + 1, 0, k.mv_size - 6) || v.mv_size != 8) {
            fr_error(FR_STORE_COMPONENT, "%s: corrupt changelog offset entry in the meta database", env->dir);
            rc = FR_ERR_CORRUPT;
            break;
        }
        rc = text_addf(t, "%.*s %" PRIu32 " %" PRId64 "\n", (int)(k.mv_size - 6), (const char *)p + 1,
                       store_get_be32(p + k.mv_size - 4), store_get_be64(v.mv_data));
        ++*count;
    }
    mdb_cursor_close(c);
    if (rc == 0 && m && m != MDB_NOTFOUND)
        rc = store_mdb_err(env, m, NULL, "read the changelog offsets");
    return rc;
}

static int replace_file(const fr_store_env_t *env, const char *text, size_t len) {
    char path[4200];
    snprintf(path, sizeof(path), "%s/.checkpoint", env->dir);
    if (fr_file_replace(path, text, len, FR_FS_SYNC_DIR) == 0)
        return 0;
    fr_error(FR_STORE_COMPONENT, "%s: cannot write %s: %s", env->dir, path, strerror(errno));
    return FR_ERR_IO;
}

int store_checkpoint_write(fr_store_env_t *env) {
    text_t lines = {0}, file = {0};
    size_t count = 0;
    int rc = offset_lines(env, &lines, &count);
    if (rc == 0)
        rc = text_addf(&file, "0\n%zu\n%.*s", count, (int)lines.len, lines.buf ? lines.buf : "");
    if (rc == 0)
        rc = replace_file(env, file.buf, file.len);
    free(lines.buf);
    free(file.buf);
    return rc;
}
