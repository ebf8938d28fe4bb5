/*
 * test_store_snapshot.c — snapshots for interactive queries: opened on
 * other threads, they see the last commit, never the owner's uncommitted
 * writes, and stay consistent while the owner keeps committing.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "test_store_helpers.h"

static fr_store_env_t *open_env(const char *dir) {
    fr_store_env_t *env = NULL;
    FR_CHECK_EQ_INT(fr_store_env_open(dir, NULL, &env), 0);
    if (!env)
        exit(2);
    return env;
}

/* What a query thread saw, checked on the main thread. */
typedef struct query {
    fr_store_env_t *env;
    fr_store_snapshot_t *snap; /* use this one, or open a fresh one when NULL */
    int get_rc, new_rc, kind_rc, missing_rc;
    char value[64];
    char range[256];
    char windows[256];
} query_t;

static void copy_slice(char *out, size_t n, fr_slice_t s) {
    snprintf(out, n, "%.*s", fr_slice_is_null(s) ? 0 : s.len, (const char *)s.ptr);
}

static void *query_thread(void *arg) {
    query_t *q = arg;
    fr_store_snapshot_t *snap = q->snap;
    if (!snap && fr_store_snapshot_open(q->env, &snap) != 0)
        return NULL;
    fr_slice_t v;
    q->get_rc = fr_store_snapshot_kv_get(snap, "kv", SL("k"), &v);
    if (q->get_rc == 0)
        copy_slice(q->value, sizeof(q->value), v);
    q->new_rc = fr_store_snapshot_kv_get(snap, "kv", SL("new"), &v);
    q->kind_rc = fr_store_snapshot_kv_get(snap, "win", SL("k"), &v);
    q->missing_rc = fr_store_snapshot_kv_get(snap, "nosuch", SL("k"), &v);
    fr_store_iter_t *it;
    fr_store_entry_t e;
    size_t pos = 0;
    if (fr_store_snapshot_kv_range(snap, "kv", FR_SLICE_NULL, FR_SLICE_NULL, &it) == 0) {
        while (fr_store_iter_next(it, &e) == 1)
            pos += (size_t)snprintf(q->range + pos, sizeof(q->range) - pos, "%.*s=%.*s;", e.key.len,
                                    (const char *)e.key.ptr, e.value.len, (const char *)e.value.ptr);
        fr_store_iter_close(it);
    }
    pos = 0;
    if (fr_store_snapshot_win_fetch(snap, "win", SL("w"), 0, 1000, &it) == 0) {
        while (fr_store_iter_next(it, &e) == 1)
            pos += (size_t)snprintf(q->windows + pos, sizeof(q->windows) - pos, "%lld=%.*s;", (long long)e.start,
                                    e.value.len, (const char *)e.value.ptr);
        fr_store_iter_close(it);
    }
    if (!q->snap)
        fr_store_snapshot_close(snap);
    return NULL;
}

static void run_query(query_t *q) {
    pthread_t t;
    FR_CHECK_EQ_INT(pthread_create(&t, NULL, query_thread, q), 0);
    pthread_join(t, NULL);
}

FR_TEST(test_snapshot_sees_last_commit) {
    char *tmp = tmp_dir_make(), dir[512];
    task_dir(dir, sizeof(dir), tmp);
    fr_store_env_t *env = open_env(dir);
    fr_kvstore_t *kv = NULL;
    fr_winstore_t *w = NULL;
    FR_CHECK_EQ_INT(fr_kvstore_open(env, "kv", NULL, &kv), 0);
    FR_CHECK_EQ_INT(fr_winstore_open(env, "win", 1 << 30, 0, NULL, &w), 0);
    if (!kv || !w)
        exit(2);
    FR_CHECK_EQ_INT(fr_kvstore_put(kv, SL("k"), SL("v1"), 0), 0);
    FR_CHECK_EQ_INT(fr_kvstore_put(kv, SL("gone"), SL("g"), 0), 0);
    FR_CHECK_EQ_INT(fr_winstore_put(w, SL("w"), 10, SL("c"), 0), 0);
    FR_CHECK_EQ_INT(fr_store_env_commit(env, NULL, 0), 0);
    /* Uncommitted on the owner thread. */
    FR_CHECK_EQ_INT(fr_kvstore_put(kv, SL("k"), SL("v2"), 0), 0);
    FR_CHECK_EQ_INT(fr_kvstore_put(kv, SL("new"), SL("n"), 0), 0);
    FR_CHECK_EQ_INT(fr_kvstore_delete(kv, SL("gone"), 0), 0);
    FR_CHECK_EQ_INT(fr_winstore_put(w, SL("w"), 20, SL("u"), 0), 0);

    query_t q = {.env = env};
    run_query(&q);
    FR_CHECK_EQ_INT(q.get_rc, 0);
    FR_CHECK_EQ_STR(q.value, "v1");
    FR_CHECK_EQ_INT(q.new_rc, FR_ERR_NOT_FOUND);
    FR_CHECK_EQ_INT(q.kind_rc, FR_ERR_INVALID_ARG);
    FR_CHECK_EQ_INT(q.missing_rc, FR_ERR_NOT_FOUND);
    FR_CHECK_EQ_STR(q.range, "gone=g;k=v1;");
    FR_CHECK_EQ_STR(q.windows, "10=c;");

    /* A snapshot opened now and kept across the next commit keeps its view. */
    fr_store_snapshot_t *old = NULL;
    FR_CHECK_EQ_INT(fr_store_snapshot_open(env, &old), 0);
    FR_CHECK_EQ_INT(fr_store_env_commit(env, NULL, 0), 0);
    query_t q2 = {.env = env};
    run_query(&q2);
    FR_CHECK_EQ_STR(q2.value, "v2");
    FR_CHECK_EQ_INT(q2.new_rc, 0);
    FR_CHECK_EQ_STR(q2.range, "k=v2;new=n;");
    FR_CHECK_EQ_STR(q2.windows, "10=c;20=u;");
    query_t q3 = {.env = env, .snap = old};
    run_query(&q3);
    FR_CHECK_EQ_STR(q3.value, "v1");
    FR_CHECK_EQ_STR(q3.range, "gone=g;k=v1;");
    fr_store_snapshot_close(old);
    fr_store_env_close(env);
    tmp_dir_remove(tmp);
}

FR_TEST(test_store_opened_mid_transaction) {
    char *tmp = tmp_dir_make(), dir[512];
    task_dir(dir, sizeof(dir), tmp);
    fr_store_env_t *env = open_env(dir);
    fr_kvstore_t *other = NULL, *kv = NULL;
    FR_CHECK_EQ_INT(fr_kvstore_open(env, "other", NULL, &other), 0);
    if (!other)
        exit(2);
    FR_CHECK_EQ_INT(fr_kvstore_put(other, SL("x"), SL("y"), 0), 0);
    /* Opened while the transaction holds data: not committed yet. */
    FR_CHECK_EQ_INT(fr_kvstore_open(env, "kv", NULL, &kv), 0);
    if (!kv)
        exit(2);
    FR_CHECK_EQ_INT(fr_kvstore_put(kv, SL("k"), SL("v"), 0), 0);
    query_t q = {.env = env};
    run_query(&q);
    FR_CHECK_EQ_INT(q.get_rc, FR_ERR_NOT_FOUND);
    FR_CHECK_EQ_INT(fr_store_env_commit(env, NULL, 0), 0);
    query_t q2 = {.env = env};
    run_query(&q2);
    FR_CHECK_EQ_INT(q2.get_rc, 0);
    FR_CHECK_EQ_STR(q2.value, "v");
    fr_store_env_close(env);

    /* Reopened with nothing written yet: the store is visible at once. */
    env = open_env(dir);
    FR_CHECK_EQ_INT(fr_kvstore_open(env, "kv", NULL, &kv), 0);
    query_t q3 = {.env = env};
    run_query(&q3);
    FR_CHECK_EQ_INT(q3.get_rc, 0);
    FR_CHECK_EQ_STR(q3.value, "v");
    fr_store_env_close(env);
    tmp_dir_remove(tmp);
}

#define ROUNDS 300

typedef struct stress {
    fr_store_env_t *env;
    _Atomic int stop;
    int snapshots, torn, backwards, errors;
} stress_t;

/* Reads "a" and "b" from snapshots while the owner commits a = b = i. */
static void *stress_reader(void *arg) {
    stress_t *s = arg;
    long last = -1;
    while (!s->stop) {
        fr_store_snapshot_t *snap;
        if (fr_store_snapshot_open(s->env, &snap) != 0) {
            s->errors++;
            break;
        }
        fr_slice_t a, b;
        int ra = fr_store_snapshot_kv_get(snap, "kv", SL("a"), &a);
        int rb = fr_store_snapshot_kv_get(snap, "kv", SL("b"), &b);
        if (ra == 0 && rb == 0) {
            char sa[32], sb[32];
            copy_slice(sa, sizeof(sa), a);
            copy_slice(sb, sizeof(sb), b);
            long n = strtol(sa, NULL, 10);
            s->torn += strcmp(sa, sb) != 0;
            s->backwards += n < last;
            last = n;
        } else if (ra != rb) {
            s->torn++;
        }
        fr_store_snapshot_close(snap);
        s->snapshots++;
    }
    return NULL;
}

FR_TEST(test_snapshots_while_committing) {
    char *tmp = tmp_dir_make(), dir[512];
    task_dir(dir, sizeof(dir), tmp);
    fr_store_env_t *env = open_env(dir);
    fr_kvstore_t *kv = NULL;
    FR_CHECK_EQ_INT(fr_kvstore_open(env, "kv", NULL, &kv), 0);
    if (!kv)
        exit(2);
    stress_t s = {.env = env};
    pthread_t t;
    FR_CHECK_EQ_INT(pthread_create(&t, NULL, stress_reader, &s), 0);
    for (int i = 1; i <= ROUNDS; i++) {
        char v[32];
        snprintf(v, sizeof(v), "%d", i);
        FR_CHECK_EQ_INT(fr_kvstore_put(kv, SL("a"), fr_slice_from_cstr(v), i), 0);
        FR_CHECK_EQ_INT(fr_kvstore_put(kv, SL("b"), SL("in flight"), i), 0);
        FR_CHECK_EQ_INT(fr_kvstore_put(kv, SL("b"), fr_slice_from_cstr(v), i), 0);
        FR_CHECK_EQ_INT(fr_store_env_commit(env, NULL, 0), 0);
    }
    s.stop = 1;
    pthread_join(t, NULL);
    FR_CHECK(s.snapshots > 0);
    FR_CHECK_EQ_INT(s.torn, 0);
    FR_CHECK_EQ_INT(s.backwards, 0);
    FR_CHECK_EQ_INT(s.errors, 0);
    fr_store_env_close(env);
    tmp_dir_remove(tmp);
}

static void *commit_elsewhere(void *arg) {
    static int rc;
    rc = fr_store_env_commit(arg, NULL, 0);
    return &rc;
}

/* A commit from another thread is refused, not left to hang on LMDB's lock. */
FR_TEST(test_commit_only_on_owner_thread) {
    char *tmp = tmp_dir_make(), dir[512];
    task_dir(dir, sizeof(dir), tmp);
    fr_store_env_t *env = open_env(dir);
    fr_kvstore_t *kv = NULL;
    FR_CHECK_EQ_INT(fr_kvstore_open(env, "kv", NULL, &kv), 0);
    if (!kv)
        exit(2);
    FR_CHECK_EQ_INT(fr_kvstore_put(kv, SL("k"), SL("v"), 0), 0);
    pthread_t t;
    void *res = NULL;
    FR_CHECK_EQ_INT(pthread_create(&t, NULL, commit_elsewhere, env), 0);
    pthread_join(t, &res);
    FR_CHECK_EQ_INT(res ? *(int *)res : 0, FR_ERR_INVALID_ARG);
    query_t q = {.env = env};
    run_query(&q);
    FR_CHECK_EQ_INT(q.get_rc, FR_ERR_NOT_FOUND);
    /* The owner still commits. */
    FR_CHECK_EQ_INT(fr_store_env_commit(env, NULL, 0), 0);
    query_t q2 = {.env = env};
    run_query(&q2);
    FR_CHECK_EQ_INT(q2.get_rc, 0);
    fr_store_env_close(env);
    tmp_dir_remove(tmp);
}

int main(void) {
    FR_RUN(test_snapshot_sees_last_commit);
    FR_RUN(test_store_opened_mid_transaction);
    FR_RUN(test_snapshots_while_committing);
    FR_RUN(test_commit_only_on_owner_thread);
    return fr_test_done();
}
