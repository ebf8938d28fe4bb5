/*
 * test_store_kv.c — key-value stores, the commit protocol, `.checkpoint`,
 * and the record cache with its listeners.
 */
#include <stdlib.h>
#include <string.h>

#include "store_internal.h" /* env->maxkey */
#include "test_store_helpers.h"

static recorder_t rec, rec2;

static fr_store_env_t *open_env(const char *dir, size_t cache) {
    fr_store_env_opts_t o = {.cache_max_bytes = cache};
    fr_store_env_t *env = NULL;
    int rc = fr_store_env_open(dir, &o, &env);
    FR_CHECK_EQ_INT(rc, 0);
    if (!env)
        exit(2);
    return env;
}

static fr_kvstore_t *open_kv(fr_store_env_t *env, const char *name, const fr_store_listener_t *l) {
    fr_kvstore_t *kv = NULL;
    FR_CHECK_EQ_INT(fr_kvstore_open(env, name, l, &kv), 0);
    if (!kv)
        exit(2);
    return kv;
}

/* Every key of an iterator, joined with ',' (keys here are printable). */
static void collect_keys(fr_store_iter_t *it, char *out, size_t n) {
    fr_store_entry_t e;
    size_t pos = 0;
    int rc;
    out[0] = '\0';
    while ((rc = fr_store_iter_next(it, &e)) == 1)
        pos += (size_t)snprintf(out + pos, n - pos, "%s%.*s", pos ? "," : "", e.key.len, (const char *)e.key.ptr);
    FR_CHECK_EQ_INT(rc, 0);
    fr_store_iter_close(it);
}

static void range_keys(fr_kvstore_t *kv, fr_slice_t from, fr_slice_t to, char *out, size_t n) {
    fr_store_iter_t *it = NULL;
    FR_CHECK_EQ_INT(fr_kvstore_range(kv, from, to, &it), 0);
    collect_keys(it, out, n);
}

FR_TEST(test_put_get_overwrite_delete) {
    char *tmp = tmp_dir_make(), dir[512];
    task_dir(dir, sizeof(dir), tmp);
    fr_store_env_t *env = open_env(dir, 0);
    fr_kvstore_t *kv = open_kv(env, "counts", NULL);
    fr_slice_t v;
    FR_CHECK_EQ_INT(fr_kvstore_get(kv, SL("a"), &v), FR_ERR_NOT_FOUND);
    FR_CHECK(fr_slice_is_null(v));
    FR_CHECK_EQ_INT(fr_kvstore_put(kv, SL("a"), SL("one"), 1), 0);
    FR_CHECK_EQ_INT(fr_kvstore_get(kv, SL("a"), &v), 0);
    FR_CHECK(SLICE_IS(v, "one"));
    FR_CHECK_EQ_INT(fr_kvstore_put(kv, SL("a"), SL("two!"), 2), 0);
    FR_CHECK_EQ_INT(fr_kvstore_get(kv, SL("a"), &v), 0);
    FR_CHECK(SLICE_IS(v, "two!"));
    /* An empty value is a value, not a delete. */
    FR_CHECK_EQ_INT(fr_kvstore_put(kv, SL("e"), SL(""), 3), 0);
    FR_CHECK_EQ_INT(fr_kvstore_get(kv, SL("e"), &v), 0);
    FR_CHECK(!fr_slice_is_null(v) && v.len == 0);
    FR_CHECK_EQ_INT(fr_kvstore_approximate_count(kv), 2);
    FR_CHECK_EQ_INT(fr_kvstore_delete(kv, SL("a"), 4), 0);
    FR_CHECK_EQ_INT(fr_kvstore_get(kv, SL("a"), &v), FR_ERR_NOT_FOUND);
    FR_CHECK_EQ_INT(fr_kvstore_delete(kv, SL("never"), 5), 0);
    /* A null value is a delete too. */
    FR_CHECK_EQ_INT(fr_kvstore_put(kv, SL("e"), FR_SLICE_NULL, 6), 0);
    FR_CHECK_EQ_INT(fr_kvstore_get(kv, SL("e"), &v), FR_ERR_NOT_FOUND);
    FR_CHECK_EQ_INT(fr_kvstore_approximate_count(kv), 0);
    fr_store_env_close(env);
    tmp_dir_remove(tmp);
}

FR_TEST(test_range_bounds_and_byte_order) {
    char *tmp = tmp_dir_make(), dir[512], got[512];
    task_dir(dir, sizeof(dir), tmp);
    fr_store_env_t *env = open_env(dir, 0);
    fr_kvstore_t *kv = open_kv(env, "kv", NULL);
    /* Inserted out of order; 0x7f and 0xff sort as unsigned bytes. */
    const char *keys[] = {"d", "\xff", "b", "ab", "a", "\x7f", "c", "b0"};
    for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
        FR_CHECK_EQ_INT(fr_kvstore_put(kv, fr_slice_from_cstr(keys[i]), SL("v"), 0), 0);
    range_keys(kv, FR_SLICE_NULL, FR_SLICE_NULL, got, sizeof(got));
    FR_CHECK_EQ_STR(got, "a,ab,b,b0,c,d,\x7f,\xff");
    range_keys(kv, SL("b"), SL("c"), got, sizeof(got)); /* both bounds inclusive */
    FR_CHECK_EQ_STR(got, "b,b0,c");
    range_keys(kv, SL("aa"), SL("b"), got, sizeof(got)); /* bounds that are not keys */
    FR_CHECK_EQ_STR(got, "ab,b");
    range_keys(kv, FR_SLICE_NULL, SL("ab"), got, sizeof(got));
    FR_CHECK_EQ_STR(got, "a,ab");
    range_keys(kv, SL("d"), FR_SLICE_NULL, got, sizeof(got));
    FR_CHECK_EQ_STR(got, "d,\x7f,\xff");
    range_keys(kv, SL("\x80"), FR_SLICE_NULL, got, sizeof(got));
    FR_CHECK_EQ_STR(got, "\xff");
    range_keys(kv, SL("c"), SL("b"), got, sizeof(got)); /* from > to */
    FR_CHECK_EQ_STR(got, "");
    fr_store_iter_t *bad = NULL;
    FR_CHECK_EQ_INT(fr_kvstore_range(kv, (fr_slice_t){NULL, 3}, FR_SLICE_NULL, &bad), FR_ERR_INVALID_ARG);
    FR_CHECK(bad == NULL);
    /* A lower bound longer than LMDB's key limit still orders correctly. */
    char big[1200];
    memset(big, 'b', sizeof(big));
    range_keys(kv, (fr_slice_t){(const uint8_t *)big, sizeof(big)}, SL("c"), got, sizeof(got));
    FR_CHECK_EQ_STR(got, "c");
    /* Iterators also see writes made before they were opened, uncommitted. */
    FR_CHECK_EQ_INT(fr_kvstore_delete(kv, SL("b0"), 0), 0);
    range_keys(kv, SL("b"), SL("c"), got, sizeof(got));
    FR_CHECK_EQ_STR(got, "b,c");
    fr_store_env_close(env);
    tmp_dir_remove(tmp);
}

FR_TEST(test_key_limits) {
    char *tmp = tmp_dir_make(), dir[512];
    task_dir(dir, sizeof(dir), tmp);
    fr_store_env_t *env = open_env(dir, 0);
    fr_kvstore_t *kv = open_kv(env, "kv", NULL);
    size_t max = env->maxkey;
    FR_CHECK(max >= 64);
    uint8_t *k = malloc(max + 1);
    memset(k, 'k', max + 1);
    /* The stored key is one prefix byte ‖ the user key. */
    FR_CHECK_EQ_INT(fr_kvstore_put(kv, (fr_slice_t){k, (int32_t)max - 1}, SL("v"), 0), 0);
    FR_CHECK_EQ_INT(fr_kvstore_put(kv, (fr_slice_t){k, (int32_t)max}, SL("v"), 0), FR_ERR_INVALID_ARG);
    FR_CHECK_EQ_INT(fr_kvstore_put(kv, FR_SLICE_NULL, SL("v"), 0), FR_ERR_INVALID_ARG);
    fr_slice_t v;
    FR_CHECK_EQ_INT(fr_kvstore_get(kv, (fr_slice_t){k, (int32_t)max - 1}, &v), 0);
    FR_CHECK_EQ_INT(fr_kvstore_get(kv, (fr_slice_t){k, (int32_t)max}, &v), FR_ERR_INVALID_ARG);
    /* The environment still works after rejected keys. */
    FR_CHECK_EQ_INT(fr_store_env_commit(env, NULL, 0), 0);
    FR_CHECK_EQ_INT(fr_kvstore_approximate_count(kv), 1);
    free(k);
    fr_store_env_close(env);
    tmp_dir_remove(tmp);
}

/* Kafka has empty (non-null) keys, LMDB has none: the prefix byte makes the
 * empty key a key like the others, first in byte order. */
FR_TEST(test_empty_key) {
    char *tmp = tmp_dir_make(), dir[512], got[512];
    task_dir(dir, sizeof(dir), tmp);
    fr_store_env_t *env = open_env(dir, 1 << 20);
    fr_store_listener_t l = rec_listener(&rec);
    fr_kvstore_t *kv = open_kv(env, "kv", &l);
    rec_reset(&rec);
    fr_slice_t v;
    FR_CHECK_EQ_INT(fr_kvstore_get(kv, SL(""), &v), FR_ERR_NOT_FOUND);
    FR_CHECK_EQ_INT(fr_kvstore_put(kv, SL(""), SL("empty"), 7), 0);
    FR_CHECK_EQ_INT(fr_kvstore_put(kv, SL("\x00"), SL("zero"), 8), 0);
    FR_CHECK_EQ_INT(fr_kvstore_put(kv, SL("a"), SL("A"), 9), 0);
    FR_CHECK_EQ_INT(fr_kvstore_get(kv, SL(""), &v), 0);
    FR_CHECK(SLICE_IS(v, "empty"));
    FR_CHECK_EQ_INT(fr_kvstore_approximate_count(kv), 3);
    /* Byte order: "" < "\0" < "a"; "" as a bound is a key, not an open end. */
    fr_store_iter_t *it = NULL;
    FR_CHECK_EQ_INT(fr_kvstore_range(kv, FR_SLICE_NULL, FR_SLICE_NULL, &it), 0);
    fr_store_entry_t e;
    FR_CHECK_EQ_INT(fr_store_iter_next(it, &e), 1);
    FR_CHECK(e.key.len == 0 && e.key.ptr && SLICE_IS(e.value, "empty"));
    FR_CHECK_EQ_INT(fr_store_iter_next(it, &e), 1);
    FR_CHECK(SLICE_IS(e.key, "\x00") && SLICE_IS(e.value, "zero"));
    FR_CHECK_EQ_INT(fr_store_iter_next(it, &e), 1);
    FR_CHECK(SLICE_IS(e.key, "a"));
    FR_CHECK_EQ_INT(fr_store_iter_next(it, &e), 0);
    fr_store_iter_close(it);
    range_keys(kv, SL(""), SL(""), got, sizeof(got));
    FR_CHECK_EQ_STR(got, "");
    FR_CHECK_EQ_INT(fr_kvstore_range(kv, SL(""), SL(""), &it), 0);
    FR_CHECK_EQ_INT(fr_store_iter_next(it, &e), 1);
    FR_CHECK(e.key.len == 0 && SLICE_IS(e.value, "empty"));
    FR_CHECK_EQ_INT(fr_store_iter_next(it, &e), 0);
    fr_store_iter_close(it);
    range_keys(kv, SL("\x00"), FR_SLICE_NULL, got, sizeof(got));
    FR_CHECK_EQ_STR(got, "a"); /* "\0" and then "a": "%.*s" prints "\0" as nothing, and no comma before it */
    /* The changelog and downstream get the user's key bytes: empty, not null. */
    FR_CHECK_EQ_INT(fr_store_env_flush(env), 0);
    FR_CHECK_EQ_INT(rec_count(&rec, EV_LOG), 3);
    const rec_event_t *l0 = rec_nth(&rec, EV_LOG, 0), *f0 = rec_nth(&rec, EV_FORWARD, 0);
    FR_CHECK(l0 && l0->key.len == 0 && BYTES_IS(l0->new_value, "empty") && l0->ts == 7);
    FR_CHECK(f0 && f0->key.len == 0 && BYTES_IS(f0->new_value, "empty") && f0->old_value.len == -1);
    const rec_event_t *l1 = rec_nth(&rec, EV_LOG, 1);
    FR_CHECK(l1 && BYTES_IS(l1->key, "\x00"));
    rec_reset(&rec);
    FR_CHECK_EQ_INT(fr_store_env_commit(env, NULL, 0), 0);
    /* Interactive queries reach it too. */
    fr_store_snapshot_t *snap = NULL;
    FR_CHECK_EQ_INT(fr_store_snapshot_open(env, &snap), 0);
    FR_CHECK_EQ_INT(fr_store_snapshot_kv_get(snap, "kv", SL(""), &v), 0);
    FR_CHECK(SLICE_IS(v, "empty"));
    FR_CHECK_EQ_INT(fr_store_snapshot_kv_range(snap, "kv", SL(""), SL("\x00"), &it), 0);
    FR_CHECK_EQ_INT(fr_store_iter_next(it, &e), 1);
    FR_CHECK(e.key.len == 0);
    FR_CHECK_EQ_INT(fr_store_iter_next(it, &e), 1);
    FR_CHECK(SLICE_IS(e.key, "\x00"));
    FR_CHECK_EQ_INT(fr_store_iter_next(it, &e), 0);
    fr_store_iter_close(it);
    fr_store_snapshot_close(snap);
    /* Delete: a tombstone for the empty key. */
    FR_CHECK_EQ_INT(fr_kvstore_delete(kv, SL(""), 10), 0);
    FR_CHECK_EQ_INT(fr_kvstore_get(kv, SL(""), &v), FR_ERR_NOT_FOUND);
    FR_CHECK_EQ_INT(fr_store_env_flush(env), 0);
    l0 = rec_nth(&rec, EV_LOG, 0);
    f0 = rec_nth(&rec, EV_FORWARD, 0);
    FR_CHECK(l0 && l0->key.len == 0 && l0->new_value.len == -1 && l0->ts == 10);
    FR_CHECK(f0 && f0->new_value.len == -1 && BYTES_IS(f0->old_value, "empty"));
    rec_reset(&rec);
    /* Restoration from the changelog takes the empty key as it was logged. */
    FR_CHECK_EQ_INT(fr_kvstore_restore(kv, SL(""), SL("restored")), 0);
    FR_CHECK_EQ_INT(fr_kvstore_get(kv, SL(""), &v), 0);
    FR_CHECK(SLICE_IS(v, "restored"));
    FR_CHECK_EQ_INT(rec.n, 0);
    fr_store_env_close(env);
    tmp_dir_remove(tmp);
}

/* A key-value store recorded with the layout before the prefix byte is
 * refused rather than read with the wrong keys. */
FR_TEST(test_unprefixed_layout_refused) {
    char *tmp = tmp_dir_make(), dir[512];
    task_dir(dir, sizeof(dir), tmp);
    fr_store_env_t *env = open_env(dir, 0);
    MDB_val k = {7, (void *)"kold-kv"}, v = {1, (void *)"\x01"};
    FR_CHECK_EQ_INT(mdb_put(env->txn, env->meta, &k, &v, 0), 0);
    fr_kvstore_t *kv = NULL;
    FR_CHECK_EQ_INT(fr_kvstore_open(env, "old-kv", NULL, &kv), FR_ERR_CORRUPT);
    FR_CHECK(kv == NULL);
    fr_store_env_close(env);
    tmp_dir_remove(tmp);
}

FR_TEST(test_uncommitted_lost_committed_kept) {
    char *tmp = tmp_dir_make(), dir[512];
    task_dir(dir, sizeof(dir), tmp);
    fr_slice_t v;
    fr_store_env_t *env = open_env(dir, 0);
    fr_kvstore_t *kv = open_kv(env, "kv", NULL);
    FR_CHECK_EQ_INT(fr_kvstore_put(kv, SL("gone"), SL("1"), 0), 0);
    FR_CHECK_EQ_INT(fr_kvstore_get(kv, SL("gone"), &v), 0); /* own writes are visible */
    fr_store_env_close(env);

    env = open_env(dir, 0);
    kv = open_kv(env, "kv", NULL);
    FR_CHECK_EQ_INT(fr_kvstore_get(kv, SL("gone"), &v), FR_ERR_NOT_FOUND);
    FR_CHECK_EQ_INT(fr_kvstore_put(kv, SL("kept"), SL("2"), 0), 0);
    FR_CHECK_EQ_INT(fr_store_env_commit(env, NULL, 0), 0);
    FR_CHECK_EQ_INT(fr_kvstore_put(kv, SL("kept"), SL("3"), 0), 0);
    FR_CHECK_EQ_INT(fr_kvstore_put(kv, SL("late"), SL("4"), 0), 0);
    fr_store_env_close(env);

    env = open_env(dir, 0);
    kv = open_kv(env, "kv", NULL);
    FR_CHECK_EQ_INT(fr_kvstore_get(kv, SL("kept"), &v), 0);
    FR_CHECK(SLICE_IS(v, "2"));
    FR_CHECK_EQ_INT(fr_kvstore_get(kv, SL("late"), &v), FR_ERR_NOT_FOUND);
    fr_store_env_close(env);
    tmp_dir_remove(tmp);
}

FR_TEST(test_checkpoint_offsets_and_file) {
    char *tmp = tmp_dir_make(), dir[512], path[600];
    task_dir(dir, sizeof(dir), tmp);
    snprintf(path, sizeof(path), "%s/.checkpoint", dir);
    fr_store_env_t *env = open_env(dir, 0);
    FR_CHECK_EQ_STR(read_text(path), "0\n0\n");
    int64_t off = 0;
    FR_CHECK_EQ_INT(fr_store_env_checkpoint(env, "app-counts-changelog", 0, &off), FR_ERR_NOT_FOUND);

    fr_store_offset_t o1[] = {{"app-counts-changelog", 3, 7}, {"app-counts-changelog", 0, 42}, {"app-b-changelog", 1, 5}};
    FR_CHECK_EQ_INT(fr_store_env_commit(env, o1, 3), 0);
    FR_CHECK_EQ_INT(fr_store_env_checkpoint(env, "app-counts-changelog", 0, &off), 0);
    FR_CHECK_EQ_INT(off, 42);
    FR_CHECK_EQ_INT(fr_store_env_checkpoint(env, "app-counts-changelog", 3, &off), 0);
    FR_CHECK_EQ_INT(off, 7);
    FR_CHECK_EQ_INT(fr_store_env_checkpoint(env, "app-counts-changelog", 1, &off), FR_ERR_NOT_FOUND);
    FR_CHECK_EQ_STR(read_text(path), "0\n3\napp-b-changelog 1 5\napp-counts-changelog 0 42\napp-counts-changelog 3 7\n");

    /* Offsets accumulate; a partition not named keeps its offset. */
    fr_store_offset_t o2[] = {{"app-counts-changelog", 0, 1000}};
    FR_CHECK_EQ_INT(fr_store_env_commit(env, o2, 1), 0);
    FR_CHECK_EQ_STR(read_text(path), "0\n3\napp-b-changelog 1 5\napp-counts-changelog 0 1000\napp-counts-changelog 3 7\n");

    /* Bad names never reach the file. */
    fr_store_offset_t bad[] = {{"has space", 0, 1}};
    FR_CHECK_EQ_INT(fr_store_env_commit(env, bad, 1), FR_ERR_INVALID_ARG);
    fr_store_offset_t badp[] = {{"t", -1, 1}};
    FR_CHECK_EQ_INT(fr_store_env_commit(env, badp, 1), FR_ERR_INVALID_ARG);
    fr_store_env_close(env);

    /* A stale file (a crash between the LMDB commit and the rewrite) is
     * rewritten from the committed offsets at open. */
    FILE *f = fopen(path, "w");
    fputs("0\n1\nstale 0 1\n", f);
    fclose(f);
    env = open_env(dir, 0);
    FR_CHECK_EQ_INT(fr_store_env_checkpoint(env, "app-counts-changelog", 0, &off), 0);
    FR_CHECK_EQ_INT(off, 1000);
    FR_CHECK_EQ_STR(read_text(path), "0\n3\napp-b-changelog 1 5\napp-counts-changelog 0 1000\napp-counts-changelog 3 7\n");
    fr_store_env_close(env);
    tmp_dir_remove(tmp);
}

FR_TEST(test_open_rules) {
    char *tmp = tmp_dir_make(), dir[512];
    task_dir(dir, sizeof(dir), tmp);
    fr_store_env_t *env = open_env(dir, 0), *env2 = NULL;
    FR_CHECK_EQ_INT(fr_store_env_open(dir, NULL, &env2), FR_ERR_LOCKED);
    FR_CHECK(env2 == NULL);
    fr_kvstore_t *kv = open_kv(env, "s", NULL), *again = NULL;
    FR_CHECK_EQ_INT(fr_kvstore_open(env, "s", NULL, &again), FR_ERR_EXISTS);
    FR_CHECK_EQ_INT(fr_kvstore_open(env, "__fr_meta", NULL, &again), FR_ERR_INVALID_ARG);
    FR_CHECK_EQ_INT(fr_kvstore_open(env, "", NULL, &again), FR_ERR_INVALID_ARG);
    (void)kv;
    fr_store_env_close(env);
    /* A store keeps its kind across opens. */
    env = open_env(dir, 0);
    fr_winstore_t *w = NULL;
    FR_CHECK_EQ_INT(fr_winstore_open(env, "s", 1000, 0, NULL, &w), FR_ERR_INVALID_ARG);
    FR_CHECK(w == NULL);
    FR_CHECK_EQ_INT(fr_kvstore_open(env, "s", NULL, &again), 0);
    fr_store_env_close(env);
    tmp_dir_remove(tmp);
}

FR_TEST(test_listener_dedup_between_flushes) {
    char *tmp = tmp_dir_make(), dir[512];
    task_dir(dir, sizeof(dir), tmp);
    fr_store_env_t *env = open_env(dir, 1 << 20);
    fr_store_listener_t l = rec_listener(&rec);
    fr_kvstore_t *kv = open_kv(env, "agg", &l);
    rec_reset(&rec);
    FR_CHECK_EQ_INT(fr_kvstore_put(kv, SL("k"), SL("v0"), 10), 0);
    FR_CHECK_EQ_INT(fr_store_env_flush(env), 0);
    FR_CHECK_EQ_INT(rec.n, 2);
    const rec_event_t *f = rec_nth(&rec, EV_FORWARD, 0);
    FR_CHECK(f && BYTES_IS(f->new_value, "v0") && f->old_value.len == -1);
    rec_reset(&rec);

    FR_CHECK_EQ_INT(fr_kvstore_put(kv, SL("k"), SL("v1"), 11), 0);
    FR_CHECK_EQ_INT(fr_kvstore_put(kv, SL("other"), SL("o1"), 12), 0);
    FR_CHECK_EQ_INT(fr_kvstore_put(kv, SL("k"), SL("v2"), 13), 0);
    FR_CHECK_EQ_INT(fr_kvstore_put(kv, SL("k"), SL("v3"), 14), 0);
    FR_CHECK_EQ_INT(rec.n, 0); /* nothing before the flush */
    FR_CHECK_EQ_INT(fr_store_env_flush(env), 0);
    FR_CHECK_EQ_INT(rec_count(&rec, EV_LOG), 2);
    FR_CHECK_EQ_INT(rec_count(&rec, EV_FORWARD), 2);
    /* In the order of last change: "other" then "k". */
    const rec_event_t *l0 = rec_nth(&rec, EV_LOG, 0), *l1 = rec_nth(&rec, EV_LOG, 1);
    FR_CHECK(l0 && BYTES_IS(l0->key, "other") && BYTES_IS(l0->new_value, "o1") && l0->ts == 12);
    FR_CHECK(l1 && BYTES_IS(l1->key, "k") && BYTES_IS(l1->new_value, "v3") && l1->ts == 14);
    FR_CHECK_EQ_STR(l1 ? l1->store : NULL, "agg");
    const rec_event_t *f1 = rec_nth(&rec, EV_FORWARD, 1);
    FR_CHECK(f1 && BYTES_IS(f1->key, "k") && BYTES_IS(f1->new_value, "v3") && BYTES_IS(f1->old_value, "v0"));
    rec_reset(&rec);
    FR_CHECK_EQ_INT(fr_store_env_flush(env), 0); /* nothing changed since */
    FR_CHECK_EQ_INT(rec.n, 0);

    /* A delete of a key that existed: a tombstone with the old value. */
    FR_CHECK_EQ_INT(fr_kvstore_put(kv, SL("k"), SL("v4"), 20), 0);
    FR_CHECK_EQ_INT(fr_kvstore_delete(kv, SL("k"), 21), 0);
    /* A key created and deleted between flushes never existed for anyone. */
    FR_CHECK_EQ_INT(fr_kvstore_put(kv, SL("tmp"), SL("x"), 22), 0);
    FR_CHECK_EQ_INT(fr_kvstore_delete(kv, SL("tmp"), 23), 0);
    /* Commit flushes what is pending. */
    FR_CHECK_EQ_INT(fr_store_env_commit(env, NULL, 0), 0);
    FR_CHECK_EQ_INT(rec_count(&rec, EV_LOG), 1);
    l0 = rec_nth(&rec, EV_LOG, 0);
    FR_CHECK(l0 && BYTES_IS(l0->key, "k") && l0->new_value.len == -1 && l0->ts == 21);
    f = rec_nth(&rec, EV_FORWARD, 0);
    FR_CHECK(f && f->new_value.len == -1 && BYTES_IS(f->old_value, "v3"));
    rec_reset(&rec);
    fr_store_env_close(env);
    tmp_dir_remove(tmp);
}

FR_TEST(test_listener_budget_zero_emits_every_put) {
    char *tmp = tmp_dir_make(), dir[512];
    task_dir(dir, sizeof(dir), tmp);
    fr_store_env_t *env = open_env(dir, 0);
    fr_store_listener_t l = rec_listener(&rec);
    fr_kvstore_t *kv = open_kv(env, "agg", &l);
    rec_reset(&rec);
    FR_CHECK_EQ_INT(fr_kvstore_put(kv, SL("k"), SL("a"), 1), 0);
    FR_CHECK_EQ_INT(fr_kvstore_put(kv, SL("k"), SL("b"), 2), 0);
    FR_CHECK_EQ_INT(fr_kvstore_put(kv, SL("k"), SL("c"), 3), 0);
    FR_CHECK_EQ_INT(rec_count(&rec, EV_LOG), 3);
    FR_CHECK_EQ_INT(rec_count(&rec, EV_FORWARD), 3);
    const char *want_new[] = {"a", "b", "c"}, *want_old[] = {NULL, "a", "b"};
    for (size_t i = 0; i < 3; i++) {
        const rec_event_t *f = rec_nth(&rec, EV_FORWARD, i);
        FR_CHECK(f && bytes_is(f->new_value, want_new[i], 1));
        FR_CHECK(f && bytes_is(f->old_value, want_old[i], 1));
        FR_CHECK(f && f->ts == (int64_t)i + 1);
    }
    rec_reset(&rec);
    FR_CHECK_EQ_INT(fr_store_env_flush(env), 0);
    FR_CHECK_EQ_INT(rec.n, 0);
    FR_CHECK_EQ_INT(fr_kvstore_delete(kv, SL("k"), 4), 0);
    FR_CHECK_EQ_INT(rec_count(&rec, EV_LOG), 1);
    const rec_event_t *f = rec_nth(&rec, EV_FORWARD, 0);
    FR_CHECK(f && f->new_value.len == -1 && BYTES_IS(f->old_value, "c"));
    rec_reset(&rec);
    fr_store_env_close(env);
    tmp_dir_remove(tmp);
}

/* Puts n distinct keys; returns how many were logged before any explicit flush. */
static size_t put_distinct(fr_kvstore_t *kv, int n) {
    for (int i = 0; i < n; i++) {
        char key[16];
        snprintf(key, sizeof(key), "key-%03d", i);
        FR_CHECK_EQ_INT(fr_kvstore_put(kv, fr_slice_from_cstr(key), SL("value"), i), 0);
    }
    return rec_count(&rec, EV_LOG);
}

FR_TEST(test_listener_small_budget_flushes_early) {
    char *tmp = tmp_dir_make(), dir[512];
    task_dir(dir, sizeof(dir), tmp);
    fr_store_listener_t l = rec_listener(&rec);
    /* Control: a large budget holds all 100 keys until the flush. */
    fr_store_env_t *env = open_env(dir, 1 << 20);
    fr_kvstore_t *kv = open_kv(env, "agg", &l);
    rec_reset(&rec);
    FR_CHECK_EQ_INT(put_distinct(kv, 100), 0);
    FR_CHECK_EQ_INT(env->cache_bytes > 100 * 7, 1);
    fr_store_env_close(env);
    FR_CHECK_EQ_INT(fr_store_env_destroy_dir(dir), 0);

    env = open_env(dir, 400);
    kv = open_kv(env, "agg", &l);
    rec_reset(&rec);
    size_t early = put_distinct(kv, 100);
    FR_CHECK(early > 0);
    FR_CHECK(env->cache_bytes <= 400);
    FR_CHECK_EQ_INT(fr_store_env_flush(env), 0);
    FR_CHECK_EQ_INT(env->cache_bytes, 0);
    /* Every key exactly once, in put order. */
    FR_CHECK_EQ_INT(rec_count(&rec, EV_LOG), 100);
    for (int i = 0; i < 100; i++) {
        char key[16];
        snprintf(key, sizeof(key), "key-%03d", i);
        const rec_event_t *e = rec_nth(&rec, EV_LOG, (size_t)i);
        FR_CHECK(e && bytes_is(e->key, key, 7) && e->ts == i);
    }
    rec_reset(&rec);
    fr_store_env_close(env);
    tmp_dir_remove(tmp);
}

FR_TEST(test_restore_emits_nothing) {
    char *tmp = tmp_dir_make(), dir[512];
    task_dir(dir, sizeof(dir), tmp);
    fr_store_env_t *env = open_env(dir, 1 << 20);
    fr_store_listener_t l = rec_listener(&rec);
    fr_kvstore_t *kv = open_kv(env, "agg", &l);
    rec_reset(&rec);
    FR_CHECK_EQ_INT(fr_kvstore_restore(kv, SL("a"), SL("1")), 0);
    FR_CHECK_EQ_INT(fr_kvstore_restore(kv, SL("b"), SL("2")), 0);
    FR_CHECK_EQ_INT(fr_kvstore_restore(kv, SL("a"), FR_SLICE_NULL), 0); /* a tombstone in the changelog */
    fr_store_offset_t o[] = {{"app-agg-changelog", 0, 3}};
    FR_CHECK_EQ_INT(fr_store_env_commit(env, o, 1), 0);
    FR_CHECK_EQ_INT(rec.n, 0);
    fr_slice_t v;
    FR_CHECK_EQ_INT(fr_kvstore_get(kv, SL("a"), &v), FR_ERR_NOT_FOUND);
    FR_CHECK_EQ_INT(fr_kvstore_get(kv, SL("b"), &v), 0);
    FR_CHECK(SLICE_IS(v, "2"));
    /* The first put after restoring reports the restored value as old. */
    FR_CHECK_EQ_INT(fr_kvstore_put(kv, SL("b"), SL("3"), 9), 0);
    FR_CHECK_EQ_INT(fr_store_env_flush(env), 0);
    const rec_event_t *f = rec_nth(&rec, EV_FORWARD, 0);
    FR_CHECK(f && BYTES_IS(f->new_value, "3") && BYTES_IS(f->old_value, "2"));
    rec_reset(&rec);
    fr_store_env_close(env);
    tmp_dir_remove(tmp);
}

/* A downstream processor: every forward of "up" counts into "down". */
static fr_kvstore_t *downstream;
static int count_into_downstream(void *arg, fr_slice_t key, fr_slice_t nv) {
    (void)arg, (void)nv;
    return fr_kvstore_put(downstream, key, SL("seen"), 0);
}

FR_TEST(test_listener_writes_other_store) {
    char *tmp = tmp_dir_make(), dir[512];
    task_dir(dir, sizeof(dir), tmp);
    fr_store_env_t *env = open_env(dir, 1 << 20);
    fr_store_listener_t l = rec_listener(&rec), l2 = rec_listener(&rec2);
    fr_kvstore_t *up = open_kv(env, "up", &l);
    downstream = open_kv(env, "down", &l2);
    rec.on_forward = count_into_downstream;
    rec_reset(&rec);
    rec_reset(&rec2);
    FR_CHECK_EQ_INT(fr_kvstore_put(up, SL("x"), SL("1"), 0), 0);
    FR_CHECK_EQ_INT(fr_kvstore_put(up, SL("y"), SL("1"), 0), 0);
    FR_CHECK_EQ_INT(fr_store_env_flush(env), 0);
    /* One flush reaches the changes its own listeners made. */
    FR_CHECK_EQ_INT(rec_count(&rec, EV_FORWARD), 2);
    FR_CHECK_EQ_INT(rec_count(&rec2, EV_LOG), 2);
    FR_CHECK_EQ_INT(env->cache_bytes, 0);
    rec.on_forward = NULL;
    rec_reset(&rec);
    rec_reset(&rec2);
    fr_store_env_close(env);
    tmp_dir_remove(tmp);
}

FR_TEST(test_listener_error_poisons) {
    char *tmp = tmp_dir_make(), dir[512];
    task_dir(dir, sizeof(dir), tmp);
    fr_store_env_t *env = open_env(dir, 1 << 20);
    fr_store_listener_t l = rec_listener(&rec);
    fr_kvstore_t *kv = open_kv(env, "agg", &l);
    rec_reset(&rec);
    FR_CHECK_EQ_INT(fr_kvstore_put(kv, SL("k"), SL("committed"), 0), 0);
    fr_store_offset_t o[] = {{"cl", 0, 1}};
    FR_CHECK_EQ_INT(fr_store_env_commit(env, o, 1), 0);
    FR_CHECK_EQ_INT(fr_kvstore_put(kv, SL("k"), SL("lost"), 0), 0);
    rec.fail_with = FR_ERR_REQUEST_TIMED_OUT;
    FR_CHECK_EQ_INT(fr_store_env_flush(env), FR_ERR_REQUEST_TIMED_OUT);
    FR_CHECK_EQ_INT(fr_kvstore_put(kv, SL("k"), SL("x"), 0), FR_ERR_REQUEST_TIMED_OUT);
    fr_store_offset_t o2[] = {{"cl", 0, 2}};
    FR_CHECK_EQ_INT(fr_store_env_commit(env, o2, 1), FR_ERR_REQUEST_TIMED_OUT);
    fr_store_env_close(env);
    env = open_env(dir, 0);
    kv = open_kv(env, "agg", NULL);
    fr_slice_t v;
    int64_t off = 0;
    FR_CHECK_EQ_INT(fr_kvstore_get(kv, SL("k"), &v), 0);
    FR_CHECK(SLICE_IS(v, "committed"));
    FR_CHECK_EQ_INT(fr_store_env_checkpoint(env, "cl", 0, &off), 0);
    FR_CHECK_EQ_INT(off, 1);
    rec_reset(&rec);
    fr_store_env_close(env);
    tmp_dir_remove(tmp);
}

FR_TEST(test_iterator_ended_by_commit) {
    char *tmp = tmp_dir_make(), dir[512];
    task_dir(dir, sizeof(dir), tmp);
    fr_store_env_t *env = open_env(dir, 0);
    fr_kvstore_t *kv = open_kv(env, "kv", NULL);
    FR_CHECK_EQ_INT(fr_kvstore_put(kv, SL("a"), SL("1"), 0), 0);
    FR_CHECK_EQ_INT(fr_kvstore_put(kv, SL("b"), SL("2"), 0), 0);
    fr_store_iter_t *it = NULL;
    fr_store_entry_t e;
    FR_CHECK_EQ_INT(fr_kvstore_range(kv, FR_SLICE_NULL, FR_SLICE_NULL, &it), 0);
    FR_CHECK_EQ_INT(fr_store_iter_next(it, &e), 1);
    FR_CHECK_EQ_INT(fr_store_env_commit(env, NULL, 0), 0);
    FR_CHECK_EQ_INT(fr_store_iter_next(it, &e), FR_ERR_CLOSED);
    fr_store_iter_close(it);
    /* An iterator left open at close is freed by its own close afterwards. */
    FR_CHECK_EQ_INT(fr_kvstore_range(kv, FR_SLICE_NULL, FR_SLICE_NULL, &it), 0);
    fr_store_env_close(env);
    FR_CHECK_EQ_INT(fr_store_iter_next(it, &e), FR_ERR_CLOSED);
    fr_store_iter_close(it);
    tmp_dir_remove(tmp);
}

/* Deletes and grows values under an open iterator (LMDB keeps the write
 * transaction's cursors in place across its writes). */
FR_TEST(test_write_while_iterating) {
    char *tmp = tmp_dir_make(), dir[512], key[16];
    task_dir(dir, sizeof(dir), tmp);
    fr_store_env_t *env = open_env(dir, 0);
    fr_kvstore_t *kv = open_kv(env, "kv", NULL);
    enum { N = 500 };
    for (int i = 0; i < N; i++) {
        snprintf(key, sizeof(key), "k-%03d", i);
        FR_CHECK_EQ_INT(fr_kvstore_put(kv, fr_slice_from_cstr(key), SL("v"), 0), 0);
    }
    static char wide[300];
    memset(wide, 'w', sizeof(wide));
    fr_store_iter_t *it = NULL;
    FR_CHECK_EQ_INT(fr_kvstore_range(kv, FR_SLICE_NULL, FR_SLICE_NULL, &it), 0);
    fr_store_entry_t e;
    int visited = 0, out_of_order = 0, rc;
    while ((rc = fr_store_iter_next(it, &e)) == 1) {
        /* The slices die with the next write: take the key first. */
        int i = atoi((const char *)e.key.ptr + 2);
        out_of_order += i != visited++;
        snprintf(key, sizeof(key), "k-%03d", i);
        if (i % 2 == 0)
            FR_CHECK_EQ_INT(fr_kvstore_delete(kv, fr_slice_from_cstr(key), 0), 0);
        else
            FR_CHECK_EQ_INT(fr_kvstore_put(kv, fr_slice_from_cstr(key), (fr_slice_t){(const uint8_t *)wide, 300}, 0), 0);
    }
    FR_CHECK_EQ_INT(rc, 0);
    fr_store_iter_close(it);
    FR_CHECK_EQ_INT(visited, N);
    FR_CHECK_EQ_INT(out_of_order, 0);
    FR_CHECK_EQ_INT(fr_kvstore_approximate_count(kv), N / 2);
    fr_slice_t v;
    FR_CHECK_EQ_INT(fr_kvstore_get(kv, SL("k-499"), &v), 0);
    FR_CHECK(slice_is(v, wide, 300));
    fr_store_env_close(env);
    tmp_dir_remove(tmp);
}

int main(void) {
    FR_RUN(test_put_get_overwrite_delete);
    FR_RUN(test_range_bounds_and_byte_order);
    FR_RUN(test_key_limits);
    FR_RUN(test_empty_key);
    FR_RUN(test_unprefixed_layout_refused);
    FR_RUN(test_uncommitted_lost_committed_kept);
    FR_RUN(test_checkpoint_offsets_and_file);
    FR_RUN(test_open_rules);
    FR_RUN(test_listener_dedup_between_flushes);
    FR_RUN(test_listener_budget_zero_emits_every_put);
    FR_RUN(test_listener_small_budget_flushes_early);
    FR_RUN(test_restore_emits_nothing);
    FR_RUN(test_listener_writes_other_store);
    FR_RUN(test_listener_error_poisons);
    FR_RUN(test_iterator_ended_by_commit);
    FR_RUN(test_write_while_iterating);
    return fr_test_done();
}
