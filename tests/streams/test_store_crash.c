/*
 * test_store_crash.c — crash consistency: a child process writes and commits,
 * then dies by SIGKILL (after uncommitted writes, in the middle of a large
 * transaction, or at an arbitrary moment between commits); the parent reopens
 * the environment and finds exactly the last commit, data and offsets agreeing.
 */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "test_store_helpers.h"

#define CHANGELOG "app-kv-changelog"

/* In the child, anything unexpected exits with 3 (not a SIGKILL). */
#define CHILD_OK(expr)       \
    do {                     \
        if ((expr) != 0)     \
            _exit(3);        \
    } while (0)

static fr_store_env_t *open_env(const char *dir) {
    fr_store_env_t *env = NULL;
    FR_CHECK_EQ_INT(fr_store_env_open(dir, NULL, &env), 0);
    if (!env)
        exit(2);
    return env;
}

static fr_slice_t key_of(char *buf, size_t n, int i) {
    snprintf(buf, n, "key-%06d", i);
    return fr_slice_from_cstr(buf);
}

/* Runs fn in a child and checks that it died by SIGKILL. */
static void run_child(void (*fn)(const char *dir), const char *dir) {
    fflush(NULL);
    pid_t pid = fork();
    if (pid == 0) {
        fn(dir);
        _exit(4); /* fn must kill itself */
    }
    FR_CHECK(pid > 0);
    int status = 0;
    FR_CHECK_EQ_INT(waitpid(pid, &status, 0), pid);
    FR_CHECK(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
}

/* Committed: key-0..99 = "c<i>", window "w"@100, offset 100.  Then
 * uncommitted: overwrites, new keys, a delete, a new store, SIGKILL. */
static void child_uncommitted_tail(const char *dir) {
    fr_store_env_t *env = NULL;
    fr_kvstore_t *kv;
    fr_winstore_t *w;
    char k[32], v[32];
    CHILD_OK(fr_store_env_open(dir, NULL, &env));
    CHILD_OK(fr_kvstore_open(env, "kv", NULL, &kv));
    CHILD_OK(fr_winstore_open(env, "win", 1 << 30, 0, NULL, &w));
    for (int i = 0; i < 100; i++) {
        snprintf(v, sizeof(v), "c%d", i);
        CHILD_OK(fr_kvstore_put(kv, key_of(k, sizeof(k), i), fr_slice_from_cstr(v), i));
    }
    CHILD_OK(fr_winstore_put(w, SL("w"), 100, SL("committed"), 100));
    fr_store_offset_t o[] = {{CHANGELOG, 0, 100}};
    CHILD_OK(fr_store_env_commit(env, o, 1));
    for (int i = 0; i < 200; i++)
        CHILD_OK(fr_kvstore_put(kv, key_of(k, sizeof(k), i), SL("uncommitted"), i));
    CHILD_OK(fr_kvstore_delete(kv, key_of(k, sizeof(k), 5), 0));
    CHILD_OK(fr_winstore_put(w, SL("w"), 100, SL("uncommitted"), 100));
    CHILD_OK(fr_winstore_advance(w, INT64_MAX)); /* drops everything, uncommitted */
    fr_kvstore_t *late;
    CHILD_OK(fr_kvstore_open(env, "late", NULL, &late));
    CHILD_OK(fr_kvstore_put(late, SL("x"), SL("y"), 0));
    kill(getpid(), SIGKILL);
}

FR_TEST(test_kill_after_uncommitted_writes) {
    char *tmp = tmp_dir_make(), dir[512], path[600], k[32], want[32];
    task_dir(dir, sizeof(dir), tmp);
    run_child(child_uncommitted_tail, dir);

    fr_store_env_t *env = open_env(dir);
    fr_kvstore_t *kv = NULL;
    FR_CHECK_EQ_INT(fr_kvstore_open(env, "kv", NULL, &kv), 0);
    if (!kv)
        exit(2);
    fr_slice_t v;
    int bad = 0;
    for (int i = 0; i < 200; i++) {
        int rc = fr_kvstore_get(kv, key_of(k, sizeof(k), i), &v);
        snprintf(want, sizeof(want), "c%d", i);
        if (i < 100)
            bad += rc != 0 || !slice_is(v, want, (int32_t)strlen(want));
        else
            bad += rc != FR_ERR_NOT_FOUND;
    }
    FR_CHECK_EQ_INT(bad, 0);
    FR_CHECK_EQ_INT(fr_kvstore_approximate_count(kv), 100);
    fr_winstore_t *w = NULL;
    FR_CHECK_EQ_INT(fr_winstore_open(env, "win", 1 << 30, 0, NULL, &w), 0);
    FR_CHECK_EQ_INT(w ? fr_winstore_get(w, SL("w"), 100, &v) : -1, 0);
    FR_CHECK(SLICE_IS(v, "committed"));
    int64_t off = -1;
    FR_CHECK_EQ_INT(fr_store_env_checkpoint(env, CHANGELOG, 0, &off), 0);
    FR_CHECK_EQ_INT(off, 100);
    snprintf(path, sizeof(path), "%s/.checkpoint", dir);
    FR_CHECK_EQ_STR(read_text(path), "0\n1\n" CHANGELOG " 0 100\n");
    /* The store created after the commit does not exist: it opens empty. */
    fr_kvstore_t *late = NULL;
    FR_CHECK_EQ_INT(fr_kvstore_open(env, "late", NULL, &late), 0);
    FR_CHECK_EQ_INT(late ? fr_kvstore_approximate_count(late) : -1, 0);
    fr_store_env_close(env);
    tmp_dir_remove(tmp);
}

#define BIG_COMMITTED 1000
#define BIG_INFLIGHT 150000

/* A large transaction in flight: well over a thousand dirty pages. */
static void child_large_txn(const char *dir) {
    fr_store_env_t *env = NULL;
    fr_kvstore_t *kv;
    char k[32];
    static char big[200];
    memset(big, 'u', sizeof(big));
    CHILD_OK(fr_store_env_open(dir, NULL, &env));
    CHILD_OK(fr_kvstore_open(env, "kv", NULL, &kv));
    for (int i = 0; i < BIG_COMMITTED; i++)
        CHILD_OK(fr_kvstore_put(kv, key_of(k, sizeof(k), i), SL("c"), i));
    fr_store_offset_t o[] = {{CHANGELOG, 0, BIG_COMMITTED}, {CHANGELOG, 1, 7}};
    CHILD_OK(fr_store_env_commit(env, o, 2));
    for (int i = 0; i < BIG_INFLIGHT; i++)
        CHILD_OK(fr_kvstore_put(kv, key_of(k, sizeof(k), i), (fr_slice_t){(const uint8_t *)big, sizeof(big)}, i));
    kill(getpid(), SIGKILL);
}

FR_TEST(test_kill_inside_large_txn) {
    char *tmp = tmp_dir_make(), dir[512], path[600];
    task_dir(dir, sizeof(dir), tmp);
    run_child(child_large_txn, dir);
    fr_store_env_t *env = open_env(dir);
    fr_kvstore_t *kv = NULL;
    FR_CHECK_EQ_INT(fr_kvstore_open(env, "kv", NULL, &kv), 0);
    if (!kv)
        exit(2);
    FR_CHECK_EQ_INT(fr_kvstore_approximate_count(kv), BIG_COMMITTED);
    fr_store_iter_t *it = NULL;
    FR_CHECK_EQ_INT(fr_kvstore_range(kv, FR_SLICE_NULL, FR_SLICE_NULL, &it), 0);
    fr_store_entry_t e;
    int n = 0, bad = 0, rc;
    while ((rc = fr_store_iter_next(it, &e)) == 1) {
        char k[32];
        key_of(k, sizeof(k), n++);
        bad += !slice_is(e.key, k, (int32_t)strlen(k)) || !SLICE_IS(e.value, "c");
    }
    FR_CHECK_EQ_INT(rc, 0);
    fr_store_iter_close(it);
    FR_CHECK_EQ_INT(n, BIG_COMMITTED);
    FR_CHECK_EQ_INT(bad, 0);
    int64_t off = -1;
    FR_CHECK_EQ_INT(fr_store_env_checkpoint(env, CHANGELOG, 0, &off), 0);
    FR_CHECK_EQ_INT(off, BIG_COMMITTED);
    snprintf(path, sizeof(path), "%s/.checkpoint", dir);
    FR_CHECK_EQ_STR(read_text(path), "0\n2\n" CHANGELOG " 0 1000\n" CHANGELOG " 1 7\n");
    /* The environment takes writes again: the dead writer's lock is gone. */
    FR_CHECK_EQ_INT(fr_kvstore_put(kv, SL("after"), SL("crash"), 0), 0);
    FR_CHECK_EQ_INT(fr_store_env_commit(env, NULL, 0), 0);
    fr_store_env_close(env);
    tmp_dir_remove(tmp);
}

static int report_fd = -1;

/* Round r: counter = r, key r = "x", window at r, offset r; reports each
 * finished commit to the parent, until the parent kills it. */
static void child_commit_loop(const char *dir) {
    fr_store_env_t *env = NULL;
    fr_kvstore_t *kv;
    fr_winstore_t *w;
    char k[32], v[32];
    CHILD_OK(fr_store_env_open(dir, NULL, &env));
    CHILD_OK(fr_kvstore_open(env, "kv", NULL, &kv));
    CHILD_OK(fr_winstore_open(env, "win", 1 << 30, 0, NULL, &w));
    for (int r = 1;; r++) {
        snprintf(v, sizeof(v), "%d", r);
        CHILD_OK(fr_kvstore_put(kv, SL("counter"), fr_slice_from_cstr(v), r));
        CHILD_OK(fr_kvstore_put(kv, key_of(k, sizeof(k), r), SL("x"), r));
        CHILD_OK(fr_winstore_put(w, SL("w"), r, fr_slice_from_cstr(v), r));
        fr_store_offset_t o[] = {{CHANGELOG, 0, r}};
        CHILD_OK(fr_store_env_commit(env, o, 1));
        if (write(report_fd, &r, sizeof(r)) != (ssize_t)sizeof(r))
            _exit(3);
    }
}

FR_TEST(test_kill_at_any_moment_between_commits) {
    srand((unsigned)time(NULL));
    for (int trial = 0; trial < 6; trial++) {
        char *tmp = tmp_dir_make(), dir[512], path[600], k[32], want[64];
        task_dir(dir, sizeof(dir), tmp);
        int fds[2];
        FR_CHECK_EQ_INT(pipe(fds), 0);
        fflush(NULL);
        pid_t pid = fork();
        if (pid == 0) {
            close(fds[0]);
            report_fd = fds[1];
            child_commit_loop(dir);
            _exit(4);
        }
        close(fds[1]);
        /* Let a few commits land, then kill at a random point of a later one. */
        int r = 0, seen = 0;
        while (seen < 5 + trial && read(fds[0], &r, sizeof(r)) == (ssize_t)sizeof(r))
            seen = r;
        struct timespec delay = {0, (long)(rand() % 3000) * 1000};
        nanosleep(&delay, NULL);
        kill(pid, SIGKILL);
        int status = 0;
        FR_CHECK_EQ_INT(waitpid(pid, &status, 0), pid);
        FR_CHECK(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
        while (read(fds[0], &r, sizeof(r)) == (ssize_t)sizeof(r))
            seen = r; /* commits that finished before the kill */
        close(fds[0]);

        fr_store_env_t *env = open_env(dir);
        fr_kvstore_t *kv = NULL;
        fr_winstore_t *w = NULL;
        FR_CHECK_EQ_INT(fr_kvstore_open(env, "kv", NULL, &kv), 0);
        FR_CHECK_EQ_INT(fr_winstore_open(env, "win", 1 << 30, 0, NULL, &w), 0);
        if (!kv || !w)
            exit(2);
        int64_t off = -1;
        FR_CHECK_EQ_INT(fr_store_env_checkpoint(env, CHANGELOG, 0, &off), 0);
        /* Every reported commit is there; at most the one in flight beyond. */
        FR_CHECK(off >= seen && off <= seen + 1);
        fr_slice_t v;
        snprintf(want, sizeof(want), "%lld", (long long)off);
        FR_CHECK_EQ_INT(fr_kvstore_get(kv, SL("counter"), &v), 0);
        FR_CHECK(slice_is(v, want, (int32_t)strlen(want)));
        FR_CHECK_EQ_INT(fr_kvstore_approximate_count(kv), off + 1);
        FR_CHECK_EQ_INT(fr_kvstore_get(kv, key_of(k, sizeof(k), (int)off), &v), 0);
        FR_CHECK_EQ_INT(fr_kvstore_get(kv, key_of(k, sizeof(k), (int)off + 1), &v), FR_ERR_NOT_FOUND);
        FR_CHECK_EQ_INT(fr_winstore_get(w, SL("w"), off, &v), 0);
        FR_CHECK(slice_is(v, want, (int32_t)strlen(want)));
        FR_CHECK_EQ_INT(fr_winstore_get(w, SL("w"), off + 1, &v), FR_ERR_NOT_FOUND);
        snprintf(path, sizeof(path), "%s/.checkpoint", dir);
        snprintf(want, sizeof(want), "0\n1\n" CHANGELOG " 0 %lld\n", (long long)off);
        FR_CHECK_EQ_STR(read_text(path), want);
        fr_store_env_close(env);
        tmp_dir_remove(tmp);
    }
}

/* A write that LMDB refuses (map full) poisons the environment; the last
 * commit survives it. */
FR_TEST(test_map_full_keeps_last_commit) {
    char *tmp = tmp_dir_make(), dir[512], k[32];
    task_dir(dir, sizeof(dir), tmp);
    fr_store_env_opts_t o = {.map_size = 1 << 20};
    fr_store_env_t *env = NULL;
    FR_CHECK_EQ_INT(fr_store_env_open(dir, &o, &env), 0);
    fr_kvstore_t *kv = NULL;
    FR_CHECK_EQ_INT(fr_kvstore_open(env, "kv", NULL, &kv), 0);
    if (!kv)
        exit(2);
    FR_CHECK_EQ_INT(fr_kvstore_put(kv, SL("kept"), SL("yes"), 0), 0);
    fr_store_offset_t off1[] = {{CHANGELOG, 0, 1}};
    FR_CHECK_EQ_INT(fr_store_env_commit(env, off1, 1), 0);
    static char big[1000];
    int rc = 0, i;
    for (i = 0; i < 10000 && rc == 0; i++)
        rc = fr_kvstore_put(kv, key_of(k, sizeof(k), i), (fr_slice_t){(const uint8_t *)big, sizeof(big)}, 0);
    FR_CHECK_EQ_INT(rc, FR_ERR_NOMEM);
    FR_CHECK(i < 10000);
    fr_slice_t v;
    FR_CHECK_EQ_INT(fr_kvstore_get(kv, SL("kept"), &v), FR_ERR_NOMEM);
    fr_store_offset_t off2[] = {{CHANGELOG, 0, 2}};
    FR_CHECK_EQ_INT(fr_store_env_commit(env, off2, 1), FR_ERR_NOMEM);
    fr_store_env_close(env);

    env = NULL;
    FR_CHECK_EQ_INT(fr_store_env_open(dir, &o, &env), 0);
    kv = NULL;
    FR_CHECK_EQ_INT(fr_kvstore_open(env, "kv", NULL, &kv), 0);
    if (!kv)
        exit(2);
    FR_CHECK_EQ_INT(fr_kvstore_approximate_count(kv), 1);
    FR_CHECK_EQ_INT(fr_kvstore_get(kv, SL("kept"), &v), 0);
    int64_t off = -1;
    FR_CHECK_EQ_INT(fr_store_env_checkpoint(env, CHANGELOG, 0, &off), 0);
    FR_CHECK_EQ_INT(off, 1);
    fr_store_env_close(env);
    tmp_dir_remove(tmp);
}

int main(void) {
    FR_RUN(test_kill_after_uncommitted_writes);
    FR_RUN(test_kill_inside_large_txn);
    FR_RUN(test_kill_at_any_moment_between_commits);
    FR_RUN(test_map_full_keeps_last_commit);
    return fr_test_done();
}
