/*
 * test_store_window.c — window stores: Kafka's key layout, fetch ranges,
 * keys that share a prefix, duplicates, retention.
 */
#include <stdlib.h>
#include <string.h>

#include "store_internal.h" /* env->maxkey */
#include "test_store_helpers.h"

static recorder_t rec;

static fr_store_env_t *open_env(const char *dir, size_t cache) {
    fr_store_env_opts_t o = {.cache_max_bytes = cache};
    fr_store_env_t *env = NULL;
    FR_CHECK_EQ_INT(fr_store_env_open(dir, &o, &env), 0);
    if (!env)
        exit(2);
    return env;
}

static fr_winstore_t *open_win(fr_store_env_t *env, const char *name, int64_t retention, int dups,
                               const fr_store_listener_t *l) {
    fr_winstore_t *w = NULL;
    FR_CHECK_EQ_INT(fr_winstore_open(env, name, retention, dups, l, &w), 0);
    if (!w)
        exit(2);
    return w;
}

/* "start=value" for each entry, joined with ','; keys are checked against want_key. */
static void collect(fr_store_iter_t *it, fr_slice_t want_key, char *out, size_t n) {
    fr_store_entry_t e;
    size_t pos = 0;
    int rc;
    out[0] = '\0';
    while ((rc = fr_store_iter_next(it, &e)) == 1) {
        if (!fr_slice_is_null(want_key))
            FR_CHECK(slice_is(e.key, want_key.ptr, want_key.len));
        FR_CHECK_EQ_INT(e.end, e.start);
        pos += (size_t)snprintf(out + pos, n - pos, "%s%lld=%.*s", pos ? "," : "", (long long)e.start, e.value.len,
                                (const char *)e.value.ptr);
    }
    FR_CHECK_EQ_INT(rc, 0);
    fr_store_iter_close(it);
}

static void fetch(fr_winstore_t *w, fr_slice_t key, int64_t from, int64_t to, char *out, size_t n) {
    fr_store_iter_t *it = NULL;
    FR_CHECK_EQ_INT(fr_winstore_fetch(w, key, from, to, &it), 0);
    collect(it, key, out, n);
}

/* The expected stored key: key ‖ start (8B BE) ‖ seq (4B BE). */
static size_t stored_key(uint8_t *out, const void *key, size_t klen, int64_t start, uint32_t seq) {
    memcpy(out, key, klen);
    for (int i = 0; i < 8; i++)
        out[klen + (size_t)i] = (uint8_t)((uint64_t)start >> (56 - 8 * i));
    for (int i = 0; i < 4; i++)
        out[klen + 8 + (size_t)i] = (uint8_t)(seq >> (24 - 8 * i));
    return klen + 12;
}

FR_TEST(test_put_fetch_ranges) {
    char *tmp = tmp_dir_make(), dir[512], got[512];
    task_dir(dir, sizeof(dir), tmp);
    fr_store_env_t *env = open_env(dir, 0);
    fr_winstore_t *w = open_win(env, "win", 1 << 30, 0, NULL);
    const int64_t starts[] = {300, 0, 200, 100};
    const char *vals[] = {"d", "a", "c", "b"};
    for (int i = 0; i < 4; i++)
        FR_CHECK_EQ_INT(fr_winstore_put(w, SL("k"), starts[i], fr_slice_from_cstr(vals[i]), starts[i]), 0);
    FR_CHECK_EQ_INT(fr_winstore_put(w, SL("other"), 100, SL("x"), 100), 0);
    fetch(w, SL("k"), 0, 1000, got, sizeof(got));
    FR_CHECK_EQ_STR(got, "0=a,100=b,200=c,300=d");
    fetch(w, SL("k"), 100, 200, got, sizeof(got)); /* inclusive both ends */
    FR_CHECK_EQ_STR(got, "100=b,200=c");
    fetch(w, SL("k"), 101, 299, got, sizeof(got));
    FR_CHECK_EQ_STR(got, "200=c");
    fetch(w, SL("k"), -50, 0, got, sizeof(got)); /* clamped below 0 */
    FR_CHECK_EQ_STR(got, "0=a");
    fetch(w, SL("k"), 200, 100, got, sizeof(got));
    FR_CHECK_EQ_STR(got, "");
    fetch(w, SL("none"), 0, 1000, got, sizeof(got));
    FR_CHECK_EQ_STR(got, "");
    fr_slice_t v;
    FR_CHECK_EQ_INT(fr_winstore_get(w, SL("k"), 200, &v), 0);
    FR_CHECK(SLICE_IS(v, "c"));
    FR_CHECK_EQ_INT(fr_winstore_get(w, SL("k"), 201, &v), FR_ERR_NOT_FOUND);
    /* Overwrite and delete one window. */
    FR_CHECK_EQ_INT(fr_winstore_put(w, SL("k"), 200, SL("C"), 200), 0);
    FR_CHECK_EQ_INT(fr_winstore_put(w, SL("k"), 100, FR_SLICE_NULL, 200), 0);
    fetch(w, SL("k"), 0, 1000, got, sizeof(got));
    FR_CHECK_EQ_STR(got, "0=a,200=C,300=d");
    FR_CHECK_EQ_INT(fr_winstore_put(w, SL("k"), -1, SL("x"), 0), FR_ERR_INVALID_ARG);

    /* fetch_all: every key, ascending by start, within the range. */
    fr_store_iter_t *it = NULL;
    FR_CHECK_EQ_INT(fr_winstore_fetch_all(w, 100, 250, &it), 0);
    fr_store_entry_t e;
    FR_CHECK_EQ_INT(fr_store_iter_next(it, &e), 1);
    FR_CHECK(SLICE_IS(e.key, "other") && e.start == 100 && SLICE_IS(e.value, "x"));
    FR_CHECK_EQ_INT(fr_store_iter_next(it, &e), 1);
    FR_CHECK(SLICE_IS(e.key, "k") && e.start == 200 && SLICE_IS(e.value, "C"));
    FR_CHECK_EQ_INT(fr_store_iter_next(it, &e), 0);
    fr_store_iter_close(it);
    FR_CHECK_EQ_INT(fr_winstore_fetch_all(w, 0, 1000, &it), 0);
    collect(it, FR_SLICE_NULL, got, sizeof(got));
    FR_CHECK_EQ_STR(got, "0=a,100=x,200=C,300=d");
    fr_store_env_close(env);
    tmp_dir_remove(tmp);
}

FR_TEST(test_prefix_collision_keys) {
    char *tmp = tmp_dir_make(), dir[512], got[512];
    task_dir(dir, sizeof(dir), tmp);
    fr_store_env_t *env = open_env(dir, 0);
    fr_winstore_t *w = open_win(env, "win", 1 << 30, 0, NULL);
    /* "a" ‖ 8 bytes that read as start 100 ‖ 4 more: its stored keys fall
     * inside the byte range of "a"'s windows 0..1000. */
    const fr_slice_t a = SL("a");
    const fr_slice_t longer = SL("a\0\0\0\0\0\0\0\x64\0\0\0\0");
    const fr_slice_t shorter_prefix = SL("a\0\0\0\0\0\0\0");
    FR_CHECK_EQ_INT(fr_winstore_put(w, a, 50, SL("a50"), 0), 0);
    FR_CHECK_EQ_INT(fr_winstore_put(w, a, 150, SL("a150"), 0), 0);
    FR_CHECK_EQ_INT(fr_winstore_put(w, longer, 7, SL("L7"), 0), 0);
    FR_CHECK_EQ_INT(fr_winstore_put(w, shorter_prefix, 9, SL("S9"), 0), 0);
    fetch(w, a, 0, 1000, got, sizeof(got));
    FR_CHECK_EQ_STR(got, "50=a50,150=a150");
    fetch(w, longer, 0, 1000, got, sizeof(got));
    FR_CHECK_EQ_STR(got, "7=L7");
    fetch(w, shorter_prefix, 0, 1000, got, sizeof(got));
    FR_CHECK_EQ_STR(got, "9=S9");
    /* An empty user key is allowed (the suffix makes the stored key non-empty). */
    FR_CHECK_EQ_INT(fr_winstore_put(w, SL(""), 5, SL("E"), 0), 0);
    fetch(w, SL(""), 0, 1000, got, sizeof(got));
    FR_CHECK_EQ_STR(got, "5=E");
    fetch(w, a, 0, 1000, got, sizeof(got));
    FR_CHECK_EQ_STR(got, "50=a50,150=a150");
    /* Key limits count the 12-byte suffix. */
    uint8_t *big = malloc(env->maxkey);
    memset(big, 'x', env->maxkey);
    FR_CHECK_EQ_INT(fr_winstore_put(w, (fr_slice_t){big, (int32_t)env->maxkey - 12}, 1, SL("v"), 0), 0);
    FR_CHECK_EQ_INT(fr_winstore_put(w, (fr_slice_t){big, (int32_t)env->maxkey - 11}, 1, SL("v"), 0),
                    FR_ERR_INVALID_ARG);
    free(big);
    fr_store_env_close(env);
    tmp_dir_remove(tmp);
}

FR_TEST(test_changelog_key_layout) {
    char *tmp = tmp_dir_make(), dir[512];
    task_dir(dir, sizeof(dir), tmp);
    fr_store_env_t *env = open_env(dir, 0);
    fr_store_listener_t l = rec_listener(&rec);
    fr_winstore_t *w = open_win(env, "win", 1 << 30, 0, &l);
    rec_reset(&rec);
    int64_t start = 0x0102030405060708;
    FR_CHECK_EQ_INT(fr_winstore_put(w, SL("key"), start, SL("v"), 77), 0);
    FR_CHECK_EQ_INT(rec_count(&rec, EV_LOG), 1);
    const rec_event_t *e = rec_nth(&rec, EV_LOG, 0);
    FR_CHECK(e && BYTES_IS(e->key, "key\x01\x02\x03\x04\x05\x06\x07\x08\0\0\0\0"));
    FR_CHECK(e && BYTES_IS(e->new_value, "v") && e->ts == 77);
    /* Restoring those bytes writes the same window back. */
    uint8_t sk[64];
    size_t n = stored_key(sk, "z", 1, 300, 0);
    FR_CHECK_EQ_INT(fr_winstore_restore(w, (fr_slice_t){sk, (int32_t)n}, SL("restored")), 0);
    FR_CHECK_EQ_INT(rec_count(&rec, EV_LOG), 1); /* restore emits nothing */
    fr_slice_t v;
    FR_CHECK_EQ_INT(fr_winstore_get(w, SL("z"), 300, &v), 0);
    FR_CHECK(SLICE_IS(v, "restored"));
    FR_CHECK_EQ_INT(fr_winstore_restore(w, SL("short"), SL("x")), FR_ERR_INVALID_ARG);
    rec_reset(&rec);
    fr_store_env_close(env);
    tmp_dir_remove(tmp);
}

FR_TEST(test_retain_duplicates) {
    char *tmp = tmp_dir_make(), dir[512], got[512];
    task_dir(dir, sizeof(dir), tmp);
    fr_store_env_t *env = open_env(dir, 0);
    fr_store_listener_t l = rec_listener(&rec);
    fr_winstore_t *w = open_win(env, "join", 1 << 30, 1, &l);
    rec_reset(&rec);
    FR_CHECK_EQ_INT(fr_winstore_put(w, SL("k"), 10, SL("first"), 0), 0);
    FR_CHECK_EQ_INT(fr_winstore_put(w, SL("k"), 10, SL("second"), 0), 0);
    FR_CHECK_EQ_INT(fr_winstore_put(w, SL("k"), 20, SL("other"), 0), 0);
    FR_CHECK_EQ_INT(fr_winstore_put(w, SL("k"), 10, SL("third"), 0), 0);
    FR_CHECK_EQ_INT(fr_winstore_put(w, SL("k"), 10, FR_SLICE_NULL, 0), 0); /* ignored */
    fetch(w, SL("k"), 0, 100, got, sizeof(got));
    FR_CHECK_EQ_STR(got, "10=first,10=second,10=third,20=other");
    uint8_t want[64];
    const uint32_t seqs[] = {1, 2, 1, 3};
    const int64_t starts[] = {10, 10, 20, 10};
    FR_CHECK_EQ_INT(rec_count(&rec, EV_LOG), 4);
    for (size_t i = 0; i < 4; i++) {
        size_t n = stored_key(want, "k", 1, starts[i], seqs[i]);
        const rec_event_t *e = rec_nth(&rec, EV_LOG, i);
        FR_CHECK(e && bytes_is(e->key, want, (int32_t)n));
    }
    fr_slice_t v;
    FR_CHECK_EQ_INT(fr_winstore_get(w, SL("k"), 10, &v), 0);
    FR_CHECK(SLICE_IS(v, "first"));
    FR_CHECK_EQ_INT(fr_store_env_commit(env, NULL, 0), 0);
    fr_store_env_close(env);

    /* The sequence continues after a restart instead of overwriting. */
    env = open_env(dir, 0);
    w = open_win(env, "join", 1 << 30, 1, NULL);
    FR_CHECK_EQ_INT(fr_winstore_put(w, SL("k"), 10, SL("fourth"), 0), 0);
    fetch(w, SL("k"), 10, 10, got, sizeof(got));
    FR_CHECK_EQ_STR(got, "10=first,10=second,10=third,10=fourth");
    rec_reset(&rec);
    fr_store_env_close(env);
    tmp_dir_remove(tmp);
}

FR_TEST(test_retention_via_advance) {
    char *tmp = tmp_dir_make(), dir[512], got[512];
    task_dir(dir, sizeof(dir), tmp);
    fr_store_env_t *env = open_env(dir, 0);
    fr_store_listener_t l = rec_listener(&rec);
    fr_winstore_t *w = open_win(env, "win", 1000, 0, &l);
    for (int64_t t = 0; t <= 1500; t += 500) {
        FR_CHECK_EQ_INT(fr_winstore_put(w, SL("a"), t, SL("v"), t), 0);
        FR_CHECK_EQ_INT(fr_winstore_put(w, SL("b"), t, SL("w"), t), 0);
    }
    FR_CHECK_EQ_INT(fr_store_env_commit(env, NULL, 0), 0);
    rec_reset(&rec);
    FR_CHECK_EQ_INT(fr_winstore_advance(w, 1600), 0); /* drops starts < 600 */
    FR_CHECK_EQ_INT(rec.n, 0);                          /* no changelog records for expiry */
    fetch(w, SL("a"), 0, 5000, got, sizeof(got));
    FR_CHECK_EQ_STR(got, "1000=v,1500=v");
    fr_store_iter_t *it = NULL;
    FR_CHECK_EQ_INT(fr_winstore_fetch_all(w, 0, 5000, &it), 0);
    collect(it, FR_SLICE_NULL, got, sizeof(got));
    FR_CHECK_EQ_STR(got, "1000=v,1000=w,1500=v,1500=w");
    /* Expired windows take no puts; the boundary window is kept. */
    FR_CHECK_EQ_INT(fr_winstore_put(w, SL("a"), 599, SL("late"), 1600), 0);
    FR_CHECK_EQ_INT(fr_winstore_put(w, SL("a"), 600, SL("edge"), 1600), 0);
    fetch(w, SL("a"), 0, 5000, got, sizeof(got));
    FR_CHECK_EQ_STR(got, "600=edge,1000=v,1500=v");
    FR_CHECK_EQ_INT(rec_count(&rec, EV_LOG), 1);
    /* Stream time never goes back. */
    FR_CHECK_EQ_INT(fr_winstore_advance(w, 100), 0);
    FR_CHECK_EQ_INT(fr_winstore_put(w, SL("a"), 0, SL("x"), 0), 0);
    fetch(w, SL("a"), 0, 599, got, sizeof(got));
    FR_CHECK_EQ_STR(got, "");
    /* The drop is part of the transaction: committed, it stays dropped. */
    FR_CHECK_EQ_INT(fr_store_env_commit(env, NULL, 0), 0);
    fr_store_env_close(env);
    env = open_env(dir, 0);
    w = open_win(env, "win", 1000, 0, NULL);
    fetch(w, SL("b"), 0, 5000, got, sizeof(got));
    FR_CHECK_EQ_STR(got, "1000=w,1500=w");
    rec_reset(&rec);
    fr_store_env_close(env);
    tmp_dir_remove(tmp);
}

FR_TEST(test_retention_flushes_cached_windows_first) {
    char *tmp = tmp_dir_make(), dir[512];
    task_dir(dir, sizeof(dir), tmp);
    fr_store_env_t *env = open_env(dir, 1 << 20);
    fr_store_listener_t l = rec_listener(&rec);
    fr_winstore_t *w = open_win(env, "win", 100, 0, &l);
    rec_reset(&rec);
    FR_CHECK_EQ_INT(fr_winstore_put(w, SL("a"), 0, SL("1"), 0), 0);
    FR_CHECK_EQ_INT(fr_winstore_put(w, SL("a"), 0, SL("2"), 1), 0);
    FR_CHECK_EQ_INT(fr_winstore_advance(w, 50), 0); /* nothing expires */
    FR_CHECK_EQ_INT(rec.n, 0);
    /* The window's last update goes downstream before it expires. */
    FR_CHECK_EQ_INT(fr_winstore_advance(w, 500), 0);
    FR_CHECK_EQ_INT(rec_count(&rec, EV_FORWARD), 1);
    const rec_event_t *f = rec_nth(&rec, EV_FORWARD, 0);
    FR_CHECK(f && BYTES_IS(f->new_value, "2") && f->old_value.len == -1);
    fr_slice_t v;
    FR_CHECK_EQ_INT(fr_winstore_get(w, SL("a"), 0, &v), FR_ERR_NOT_FOUND);
    FR_CHECK_EQ_INT(fr_store_env_flush(env), 0);
    FR_CHECK_EQ_INT(rec_count(&rec, EV_FORWARD), 1); /* and no tombstone after */
    rec_reset(&rec);
    fr_store_env_close(env);
    tmp_dir_remove(tmp);
}

int main(void) {
    FR_RUN(test_put_fetch_ranges);
    FR_RUN(test_prefix_collision_keys);
    FR_RUN(test_changelog_key_layout);
    FR_RUN(test_retain_duplicates);
    FR_RUN(test_retention_via_advance);
    FR_RUN(test_retention_flushes_cached_windows_first);
    return fr_test_done();
}
