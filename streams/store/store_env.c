/*
 * store_env.c — a task's LMDB environment: open, close, the write
 * transaction's life, error mapping, and store registration.  See fr_store.h.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fr_fs.h"
#include "fr_logging.h"
#include "store_internal.h"

#define DEFAULT_MAP_SIZE ((size_t)1 << 30)
#define DEFAULT_MAX_STORES 64u

int store_mdb_err(const fr_store_env_t *env, int rc, const char *store, const char *what) {
    int err;
    const char *hint = "";
    switch (rc) {
    case 0:
        return 0;
    case MDB_NOTFOUND:
        return FR_ERR_NOT_FOUND;
    case ENOMEM:
        err = FR_ERR_NOMEM;
        break;
    case MDB_MAP_FULL:
        err = FR_ERR_NOMEM;
        hint = " (the LMDB map is full: raise freshet.state.store.map.bytes)";
        break;
    case MDB_TXN_FULL:
        err = FR_ERR_NOMEM;
        hint = " (too many dirty pages in one transaction: commit more often)";
        break;
    case MDB_CORRUPTED:
    case MDB_PAGE_NOTFOUND:
    case MDB_INVALID:
    case MDB_VERSION_MISMATCH:
    case MDB_INCOMPATIBLE:
    case MDB_PANIC:
        err = FR_ERR_CORRUPT;
        break;
    case MDB_BAD_VALSIZE:
    case EINVAL:
        err = FR_ERR_INVALID_ARG;
        break;
    case MDB_DBS_FULL:
        err = FR_ERR_CONFIG;
        hint = " (more databases than max_stores allows)";
        break;
    default:
        err = FR_ERR_IO;
        break;
    }
    fr_error(FR_STORE_COMPONENT, "%s: %s%s%s%s: %s%s", env->dir, store ? "store " : "", store ? store : "",
             store ? ": " : "", what, mdb_strerror(rc), hint);
    return err;
}

void store_poison(fr_store_env_t *env, int err) {
    if (!env->failed)
        env->failed = err ? err : FR_ERR_IO;
}

int store_fail(fr_store_env_t *env, int rc, const char *store, const char *what) {
    int err = store_mdb_err(env, rc, store, what);
    store_poison(env, err);
    return err;
}

int store_env_ok(const fr_store_env_t *env) {
    if (env->failed)
        return env->failed;
    return env->txn ? 0 : FR_ERR_CLOSED;
}

/* mkdir -p: every missing component of dir. */
static int make_dirs(const char *dir) {
    char *path = strdup(dir);
    if (!path)
        return FR_ERR_NOMEM;
    int rc = 0;
    for (char *p = path + 1;; p++) {
        if (*p != '/' && *p != '\0')
            continue;
        char c = *p;
        *p = '\0';
        if (mkdir(path, 0755) < 0 && errno != EEXIST) {
            fr_error(FR_STORE_COMPONENT, "%s: cannot create directory %s: %s", dir, path, strerror(errno));
            rc = FR_ERR_IO;
            break;
        }
        *p = c;
        if (c == '\0')
            break;
    }
    free(path);
    return rc;
}

/* Kafka Streams locks task directories so that two instances (or two
 * threads after a rebalance) never write one store; flock also covers a
 * second open in this process, which LMDB itself forbids. */
static int lock_dir(fr_store_env_t *env) {
    char path[4096];
    snprintf(path, sizeof(path), "%s/.lock", env->dir);
    env->lock_fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (env->lock_fd < 0) {
        fr_error(FR_STORE_COMPONENT, "%s: cannot open the lock file: %s", env->dir, strerror(errno));
        return FR_ERR_IO;
    }
    if (flock(env->lock_fd, LOCK_EX | LOCK_NB) < 0) {
        int locked = errno == EWOULDBLOCK;
        fr_error(FR_STORE_COMPONENT, "%s: %s", env->dir,
                 locked ? "the task directory is locked by another open environment" : strerror(errno));
        return locked ? FR_ERR_LOCKED : FR_ERR_IO;
    }
    return 0;
}

int fr_store_env_open(const char *dir, const fr_store_env_opts_t *opts, fr_store_env_t **out) {
    *out = NULL;
    if (!dir || !*dir || strlen(dir) > 4000) {
        fr_error(FR_STORE_COMPONENT, "store environment: bad directory name");
        return FR_ERR_INVALID_ARG;
    }
    int rc = make_dirs(dir);
    if (rc)
        return rc;
    fr_store_env_t *env = calloc(1, sizeof(*env));
    if (!env)
        return FR_ERR_NOMEM;
    env->lock_fd = -1;
    pthread_mutex_init(&env->mu, NULL);
    env->dir = strdup(dir);
    env->max_stores = opts && opts->max_stores ? opts->max_stores : DEFAULT_MAX_STORES;
    env->cache_max = opts ? opts->cache_max_bytes : 0;
    env->stores = calloc(env->max_stores, sizeof(*env->stores));
    if (!env->dir || !env->stores) {
        rc = FR_ERR_NOMEM;
        goto fail;
    }
    if ((rc = lock_dir(env)))
        goto fail;

    int m = mdb_env_create(&env->mdb);
    if (m) {
        env->mdb = NULL;
        rc = store_mdb_err(env, m, NULL, "create environment");
        goto fail;
    }
    size_t map_size = opts && opts->map_size ? opts->map_size : DEFAULT_MAP_SIZE;
    /* Every window and session store also has a time index; +1 for the meta database. */
    if ((m = mdb_env_set_mapsize(env->mdb, map_size)) ||
        (m = mdb_env_set_maxdbs(env->mdb, (MDB_dbi)(2 * env->max_stores + 1)))) {
        rc = store_mdb_err(env, m, NULL, "configure environment");
        goto fail;
    }
    /* MDB_NOTLS: snapshot read transactions belong to no thread, so any
     * thread may query while the owner thread holds the write transaction. */
    if ((m = mdb_env_open(env->mdb, dir, MDB_NOTLS, 0644))) {
        rc = store_mdb_err(env, m, NULL, "open environment");
        goto fail;
    }
    int dead = 0;
    mdb_reader_check(env->mdb, &dead); /* reader slots of crashed processes */
    int maxkey = mdb_env_get_maxkeysize(env->mdb);
    env->maxkey = maxkey > FR_STORE_KEY_BUF ? FR_STORE_KEY_BUF : (size_t)maxkey;

    if ((m = mdb_txn_begin(env->mdb, NULL, 0, &env->txn))) {
        env->txn = NULL;
        rc = store_mdb_err(env, m, NULL, "begin transaction");
        goto fail;
    }
    env->owner = pthread_self();
    if ((m = mdb_dbi_open(env->txn, FR_STORE_META_DB, MDB_CREATE, &env->meta))) {
        rc = store_mdb_err(env, m, NULL, "open the meta database");
        goto fail;
    }
    /* Commit the meta database's creation, and make the checkpoint file
     * agree with the committed offsets even if the last run died between its
     * LMDB commit and the file's rewrite. */
    if ((rc = store_txn_cycle(env)) || (rc = store_checkpoint_write(env)))
        goto fail;
    *out = env;
    return 0;
fail:
    fr_store_env_close(env);
    return rc;
}

void fr_store_env_close(fr_store_env_t *env) {
    if (!env)
        return;
    store_iters_end(env);
    if (env->txn && !pthread_equal(env->owner, pthread_self()))
        fr_error(FR_STORE_COMPONENT,
                 "%s: closed on another thread than its owner; LMDB's write lock stays with the owner thread "
                 "until it exits, and a reopen in this process waits for that",
                 env->dir);
    if (env->txn)
        mdb_txn_abort(env->txn);
    for (size_t i = 0; i < env->nstores; i++) {
        store_cache_free(env->stores[i], env);
        free(env->stores[i]->name);
        free(env->stores[i]);
    }
    if (env->mdb)
        mdb_env_close(env->mdb);
    /* Unlock only once LMDB is closed, so the next owner finds it quiet. */
    if (env->lock_fd >= 0)
        close(env->lock_fd);
    pthread_mutex_destroy(&env->mu);
    free(env->scratch);
    free(env->stores);
    free(env->dir);
    free(env);
}

int fr_store_env_destroy_dir(const char *dir) {
    if (!dir || !*dir)
        return FR_ERR_INVALID_ARG;
    if (fr_rmtree(dir) == 0)
        return 0;
    fr_error(FR_STORE_COMPONENT, "cannot remove %s: %s", dir, strerror(errno));
    return FR_ERR_IO;
}

int store_check_owner(const fr_store_env_t *env, const char *what) {
    /* Only the thread holding LMDB's write lock can release it: a commit
     * elsewhere would leave it held and hang the next begin. */
    if (pthread_equal(env->owner, pthread_self()))
        return 0;
    fr_error(FR_STORE_COMPONENT, "%s: %s on another thread than the environment's owner", env->dir, what);
    return FR_ERR_INVALID_ARG;
}

int store_txn_cycle(fr_store_env_t *env) {
    int rc = store_env_ok(env);
    if (rc)
        return rc;
    if ((rc = store_check_owner(env, "commit")))
        return rc;
    store_iters_end(env);
    int m = mdb_txn_commit(env->txn);
    env->txn = NULL; /* freed by LMDB whether or not the commit worked */
    if (m)
        return store_fail(env, m, NULL, "commit");
    env->dirty = 0;
    pthread_mutex_lock(&env->mu);
    for (size_t i = 0; i < env->nstores; i++)
        env->stores[i]->published = 1;
    pthread_mutex_unlock(&env->mu);
    if ((m = mdb_txn_begin(env->mdb, NULL, 0, &env->txn))) {
        env->txn = NULL;
        return store_fail(env, m, NULL, "begin transaction");
    }
    return 0;
}

static int check_name(fr_store_env_t *env, const char *name) {
    const char *why = NULL;
    if (!name || !*name)
        why = "a store needs a name";
    else if (strncmp(name, FR_STORE_RESERVED_PREFIX, strlen(FR_STORE_RESERVED_PREFIX)) == 0)
        why = "names starting with " FR_STORE_RESERVED_PREFIX " are reserved";
    else if (strlen(name) + strlen(FR_STORE_INDEX_PREFIX) + 1 > env->maxkey)
        why = "the name is too long for LMDB";
    if (why)
        fr_error(FR_STORE_COMPONENT, "%s: store %s: %s", env->dir, name ? name : "(null)", why);
    return why ? FR_ERR_INVALID_ARG : 0;
}

static const char *kind_name(int kind) {
    return kind == STORE_KV ? "key-value" : kind == STORE_WINDOW ? "window" : kind == STORE_SESSION ? "session" : "?";
}

/* Checks the kind recorded when the store was created, or records it. */
static int check_kind(fr_store_env_t *env, const char *name, store_kind_t kind) {
    uint8_t kbuf[FR_STORE_KEY_BUF];
    size_t n = strlen(name);
    kbuf[0] = 'k';
    memcpy(kbuf + 1, name, n);
    MDB_val k = {n + 1, kbuf}, v;
    int m = mdb_get(env->txn, env->meta, &k, &v);
    if (m == 0) {
        int was = v.mv_size == 1 ? ((const uint8_t *)v.mv_data)[0] : 0;
        if (was == (int)kind)
            return 0;
        if (was == STORE_KV_UNPREFIXED) {
            fr_error(FR_STORE_COMPONENT,
                     "%s: store %s has the key-value layout of an older version (keys without their prefix "
                     "byte); delete the state directory to restore it from its changelog",
                     env->dir, name);
            return FR_ERR_CORRUPT;
        }
        fr_error(FR_STORE_COMPONENT, "%s: store %s was created as a %s store, not a %s store", env->dir, name,
                 kind_name(was), kind_name(kind));
        return FR_ERR_INVALID_ARG;
    }
    if (m != MDB_NOTFOUND)
        return store_fail(env, m, name, "read the store kind");
    uint8_t kb = (uint8_t)kind;
    v = (MDB_val){1, &kb};
    if ((m = mdb_put(env->txn, env->meta, &k, &v, 0)))
        return store_fail(env, m, name, "record the store kind");
    return 0;
}

int store_register(fr_store_env_t *env, const char *name, store_kind_t kind, const fr_store_listener_t *listener,
                   size_t alloc, fr_store_t **out) {
    *out = NULL;
    int rc = store_env_ok(env);
    if (rc || (rc = check_name(env, name)))
        return rc;
    for (size_t i = 0; i < env->nstores; i++) {
        if (strcmp(env->stores[i]->name, name) == 0) {
            fr_error(FR_STORE_COMPONENT, "%s: store %s is already open", env->dir, name);
            return FR_ERR_EXISTS;
        }
    }
    if (env->nstores == env->max_stores) {
        fr_error(FR_STORE_COMPONENT, "%s: store %s: more than max_stores (%u) stores", env->dir, name,
                 env->max_stores);
        return FR_ERR_CONFIG;
    }
    if ((rc = check_kind(env, name, kind)))
        return rc;
    MDB_dbi dbi, idx = 0;
    int m = mdb_dbi_open(env->txn, name, MDB_CREATE, &dbi);
    if (m)
        return store_fail(env, m, name, "open the database");
    if (kind != STORE_KV) {
        char idx_name[FR_STORE_KEY_BUF];
        snprintf(idx_name, sizeof(idx_name), "%s%s", FR_STORE_INDEX_PREFIX, name);
        if ((m = mdb_dbi_open(env->txn, idx_name, MDB_CREATE, &idx)))
            return store_fail(env, m, name, "open the time index");
    }
    fr_store_t *s = calloc(1, alloc);
    char *copy = strdup(name);
    if (!s || !copy) {
        free(s);
        free(copy);
        return FR_ERR_NOMEM;
    }
    s->env = env;
    s->name = copy;
    s->kind = kind;
    s->dbi = dbi;
    s->idx_dbi = idx;
    s->has_listener = listener && (listener->log || listener->forward);
    if (listener)
        s->listener = *listener;
    s->cache.min_time = INT64_MAX;
    fr_arena_init(&s->cache.arenas[0], 0);
    fr_arena_init(&s->cache.arenas[1], 0);
    s->stream_time = INT64_MIN;
    pthread_mutex_lock(&env->mu);
    env->stores[env->nstores++] = s;
    pthread_mutex_unlock(&env->mu);
    /* A handle opened in a write transaction is private to it until it
     * commits.  While the transaction holds no data yet, committing it now
     * lets snapshots see the store (and its committed contents) at once. */
    if (!env->dirty && !env->flushing && (rc = store_txn_cycle(env)))
        return rc;
    *out = s;
    return 0;
}

int store_check_key(const fr_store_t *s, fr_slice_t key, size_t extra) {
    const fr_store_env_t *env = s->env;
    if (key.len < 0 || (key.len > 0 && !key.ptr)) {
        fr_error(FR_STORE_COMPONENT, "%s: store %s: null key", env->dir, s->name);
        return FR_ERR_INVALID_ARG;
    }
    if ((size_t)key.len + extra > env->maxkey) {
        fr_error(FR_STORE_COMPONENT,
                 "%s: store %s: key of %d bytes is too long: LMDB keys hold at most %zu bytes, "
                 "%zu of them for the %s store's prefix or suffix",
                 env->dir, s->name, key.len, env->maxkey, extra, kind_name(s->kind));
        return FR_ERR_INVALID_ARG;
    }
    return 0;
}

int store_check_value(const fr_store_t *s, fr_slice_t value) {
    if (value.len > 0 && !value.ptr) {
        fr_error(FR_STORE_COMPONENT, "%s: store %s: value of %d bytes without data", s->env->dir, s->name,
                 value.len);
        return FR_ERR_INVALID_ARG;
    }
    return 0;
}
