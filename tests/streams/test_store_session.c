/*
 * test_store_session.c — session stores: find (the sessions a new record may
 * merge with), remove, retention, Kafka's key layout.
 */
#include <stdlib.h>
#include <string.h>

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

static fr_sessstore_t *open_sess(fr_store_env_t *env, int64_t retention, const fr_store_listener_t *l) {
    fr_sessstore_t *s = NULL;
    FR_CHECK_EQ_INT(fr_sessstore_open(env, "sessions", retention, l, &s), 0);
    if (!s)
        exit(2);
    return s;
}

/* "[start,end]=value" for each session found, checking the key. */
static void find(fr_sessstore_t *s, fr_slice_t key, int64_t earliest_end, int64_t latest_start, char *out,
                 size_t n) {
    fr_store_iter_t *it = NULL;
    FR_CHECK_EQ_INT(fr_sessstore_find(s, key, earliest_end, latest_start, &it), 0);
    fr_store_entry_t e;
    size_t pos = 0;
    int rc;
    out[0] = '\0';
    while ((rc = fr_store_iter_next(it, &e)) == 1) {
        FR_CHECK(slice_is(e.key, key.ptr, key.len));
        pos += (size_t)snprintf(out + pos, n - pos, "%s[%lld,%lld]=%.*s", pos ? "," : "", (long long)e.start,
                                (long long)e.end, e.value.len, (const char *)e.value.ptr);
    }
    FR_CHECK_EQ_INT(rc, 0);
    fr_store_iter_close(it);
}

static size_t stored_key(uint8_t *out, const void *key, size_t klen, int64_t end, int64_t start) {
    memcpy(out, key, klen);
    for (int i = 0; i < 8; i++) {
        out[klen + (size_t)i] = (uint8_t)((uint64_t)end >> (56 - 8 * i));
        out[klen + 8 + (size_t)i] = (uint8_t)((uint64_t)start >> (56 - 8 * i));
    }
    return klen + 16;
}

FR_TEST(test_find_merge_candidates) {
    char *tmp = tmp_dir_make(), dir[512], got[512];
    task_dir(dir, sizeof(dir), tmp);
    fr_store_env_t *env = open_env(dir, 0);
    fr_sessstore_t *s = open_sess(env, 1 << 30, NULL);
    FR_CHECK_EQ_INT(fr_sessstore_put(s, SL("u"), 50, 60, SL("c"), 60), 0);
    FR_CHECK_EQ_INT(fr_sessstore_put(s, SL("u"), 0, 10, SL("a"), 10), 0);
    FR_CHECK_EQ_INT(fr_sessstore_put(s, SL("u"), 20, 30, SL("b"), 30), 0);
    /* A long session that starts early and ends late. */
    FR_CHECK_EQ_INT(fr_sessstore_put(s, SL("u"), 5, 100, SL("L"), 100), 0);
    /* Other keys, one sharing "u"'s first bytes so that its stored keys sit
     * inside "u"'s byte range. */
    FR_CHECK_EQ_INT(fr_sessstore_put(s, SL("v"), 20, 30, SL("x"), 30), 0);
    FR_CHECK_EQ_INT(fr_sessstore_put(s, SL("u\0\0\0\0\0\0\0\x28"), 0, 1, SL("y"), 1), 0);
    FR_CHECK_EQ_INT(fr_sessstore_put(s, SL("u"), 40, 30, SL("bad"), 0), FR_ERR_INVALID_ARG);
    FR_CHECK_EQ_INT(fr_sessstore_put(s, SL("u"), -1, 30, SL("bad"), 0), FR_ERR_INVALID_ARG);

    /* Everything, ascending by end. */
    find(s, SL("u"), 0, INT64_MAX, got, sizeof(got));
    FR_CHECK_EQ_STR(got, "[0,10]=a,[20,30]=b,[50,60]=c,[5,100]=L");
    /* A record at 35 with a gap of 5 merges with sessions ending >= 30 and starting <= 40. */
    find(s, SL("u"), 30, 40, got, sizeof(got));
    FR_CHECK_EQ_STR(got, "[20,30]=b,[5,100]=L");
    find(s, SL("u"), 11, 19, got, sizeof(got));
    FR_CHECK_EQ_STR(got, "[5,100]=L");
    find(s, SL("u"), 10, 0, got, sizeof(got)); /* both bounds inclusive */
    FR_CHECK_EQ_STR(got, "[0,10]=a");
    find(s, SL("u"), 101, 1000, got, sizeof(got));
    FR_CHECK_EQ_STR(got, "");
    find(s, SL("u\0\0\0\0\0\0\0\x28"), 0, 100, got, sizeof(got));
    FR_CHECK_EQ_STR(got, "[0,1]=y");
    find(s, SL("nobody"), 0, 100, got, sizeof(got));
    FR_CHECK_EQ_STR(got, "");
    /* An empty user key is a key (Kafka's "" word); the suffix makes its stored key non-empty. */
    FR_CHECK_EQ_INT(fr_sessstore_put(s, SL(""), 3, 7, SL("E"), 7), 0);
    find(s, SL(""), 0, 100, got, sizeof(got));
    FR_CHECK_EQ_STR(got, "[3,7]=E");
    find(s, SL("u"), 10, 0, got, sizeof(got));
    FR_CHECK_EQ_STR(got, "[0,10]=a");
    FR_CHECK_EQ_INT(fr_sessstore_remove(s, SL(""), 3, 7, 8), 0);
    find(s, SL(""), 0, 100, got, sizeof(got));
    FR_CHECK_EQ_STR(got, "");
    fr_store_env_close(env);
    tmp_dir_remove(tmp);
}

FR_TEST(test_remove_and_changelog_layout) {
    char *tmp = tmp_dir_make(), dir[512], got[512];
    task_dir(dir, sizeof(dir), tmp);
    fr_store_env_t *env = open_env(dir, 0);
    fr_store_listener_t l = rec_listener(&rec);
    fr_sessstore_t *s = open_sess(env, 1 << 30, &l);
    rec_reset(&rec);
    FR_CHECK_EQ_INT(fr_sessstore_put(s, SL("u"), 0, 10, SL("a"), 10), 0);
    FR_CHECK_EQ_INT(fr_sessstore_put(s, SL("u"), 20, 0x0102030405, SL("b"), 30), 0);
    /* Merging: the two sessions go, the merged one comes. */
    FR_CHECK_EQ_INT(fr_sessstore_remove(s, SL("u"), 0, 10, 40), 0);
    FR_CHECK_EQ_INT(fr_sessstore_remove(s, SL("u"), 20, 0x0102030405, 40), 0);
    FR_CHECK_EQ_INT(fr_sessstore_put(s, SL("u"), 0, 0x0102030405, SL("ab"), 40), 0);
    FR_CHECK_EQ_INT(fr_sessstore_remove(s, SL("u"), 7, 8, 40), 0); /* never existed: no record */
    find(s, SL("u"), 0, INT64_MAX, got, sizeof(got));
    FR_CHECK_EQ_STR(got, "[0,4328719365]=ab");

    FR_CHECK_EQ_INT(rec_count(&rec, EV_LOG), 5);
    const rec_event_t *e = rec_nth(&rec, EV_LOG, 1);
    FR_CHECK(e && BYTES_IS(e->key, "u\0\0\0\x01\x02\x03\x04\x05\0\0\0\0\0\0\0\x14"));
    uint8_t want[64];
    size_t n = stored_key(want, "u", 1, 10, 0);
    e = rec_nth(&rec, EV_LOG, 2);
    FR_CHECK(e && bytes_is(e->key, want, (int32_t)n) && e->new_value.len == -1 && e->ts == 40);
    const rec_event_t *f = rec_nth(&rec, EV_FORWARD, 2);
    FR_CHECK(f && f->new_value.len == -1 && BYTES_IS(f->old_value, "a"));

    /* Restoring the changelog's bytes rebuilds the same session. */
    n = stored_key(want, "w", 1, 99, 90);
    FR_CHECK_EQ_INT(fr_sessstore_restore(s, (fr_slice_t){want, (int32_t)n}, SL("r")), 0);
    FR_CHECK_EQ_INT(rec_count(&rec, EV_LOG), 5);
    find(s, SL("w"), 0, 100, got, sizeof(got));
    FR_CHECK_EQ_STR(got, "[90,99]=r");
    n = stored_key(want, "w", 1, 5, 90); /* end before start */
    FR_CHECK_EQ_INT(fr_sessstore_restore(s, (fr_slice_t){want, (int32_t)n}, SL("r")), FR_ERR_INVALID_ARG);
    rec_reset(&rec);
    fr_store_env_close(env);
    tmp_dir_remove(tmp);
}

FR_TEST(test_retention) {
    char *tmp = tmp_dir_make(), dir[512], got[512];
    task_dir(dir, sizeof(dir), tmp);
    fr_store_env_t *env = open_env(dir, 0);
    fr_store_listener_t l = rec_listener(&rec);
    fr_sessstore_t *s = open_sess(env, 100, &l);
    FR_CHECK_EQ_INT(fr_sessstore_put(s, SL("u"), 0, 10, SL("a"), 10), 0);
    FR_CHECK_EQ_INT(fr_sessstore_put(s, SL("u"), 100, 150, SL("b"), 150), 0);
    FR_CHECK_EQ_INT(fr_sessstore_put(s, SL("u"), 0, 160, SL("c"), 160), 0);
    FR_CHECK_EQ_INT(fr_sessstore_put(s, SL("z"), 250, 300, SL("d"), 300), 0);
    rec_reset(&rec);
    FR_CHECK_EQ_INT(fr_sessstore_advance(s, 260), 0); /* drops ends < 160, by end not start */
    FR_CHECK_EQ_INT(rec.n, 0);
    find(s, SL("u"), 0, INT64_MAX, got, sizeof(got));
    FR_CHECK_EQ_STR(got, "[0,160]=c");
    find(s, SL("z"), 0, INT64_MAX, got, sizeof(got));
    FR_CHECK_EQ_STR(got, "[250,300]=d");
    FR_CHECK_EQ_INT(fr_sessstore_put(s, SL("u"), 100, 159, SL("late"), 260), 0); /* expired: ignored */
    find(s, SL("u"), 0, INT64_MAX, got, sizeof(got));
    FR_CHECK_EQ_STR(got, "[0,160]=c");
    FR_CHECK_EQ_INT(rec.n, 0);
    FR_CHECK_EQ_INT(fr_store_env_commit(env, NULL, 0), 0);
    fr_store_env_close(env);
    env = open_env(dir, 0);
    s = open_sess(env, 100, NULL);
    find(s, SL("u"), 0, INT64_MAX, got, sizeof(got));
    FR_CHECK_EQ_STR(got, "[0,160]=c");
    fr_store_env_close(env);
    tmp_dir_remove(tmp);
}

/* A session merge: remove each session as find() reports it. */
FR_TEST(test_remove_while_finding) {
    char *tmp = tmp_dir_make(), dir[512], got[512];
    task_dir(dir, sizeof(dir), tmp);
    fr_store_env_t *env = open_env(dir, 0);
    fr_sessstore_t *s = open_sess(env, 1 << 30, NULL);
    for (int64_t t = 0; t < 100; t += 10)
        FR_CHECK_EQ_INT(fr_sessstore_put(s, SL("u"), t, t + 5, SL("v"), t), 0);
    fr_store_iter_t *it = NULL;
    FR_CHECK_EQ_INT(fr_sessstore_find(s, SL("u"), 25, 70, &it), 0);
    fr_store_entry_t e;
    int n = 0, rc;
    int64_t sum = 0;
    while ((rc = fr_store_iter_next(it, &e)) == 1) {
        int64_t start = e.start, end = e.end;
        n++;
        sum += start;
        FR_CHECK_EQ_INT(fr_sessstore_remove(s, SL("u"), start, end, 0), 0);
    }
    FR_CHECK_EQ_INT(rc, 0);
    fr_store_iter_close(it);
    FR_CHECK_EQ_INT(n, 6); /* ends >= 25 and starts <= 70: starts 20..70 */
    FR_CHECK_EQ_INT(sum, 20 + 30 + 40 + 50 + 60 + 70);
    find(s, SL("u"), 0, INT64_MAX, got, sizeof(got));
    FR_CHECK_EQ_STR(got, "[0,5]=v,[10,15]=v,[80,85]=v,[90,95]=v");
    fr_store_env_close(env);
    tmp_dir_remove(tmp);
}

int main(void) {
    FR_RUN(test_find_merge_candidates);
    FR_RUN(test_remove_and_changelog_layout);
    FR_RUN(test_retention);
    FR_RUN(test_remove_while_finding);
    return fr_test_done();
}
