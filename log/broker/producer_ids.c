/*
 * producer_ids.c — producer id blocks on disk and the InitProducerId rules.
 * See producer_ids.h.
 */
#include "producer_ids.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "broker_config.h"
#include "fr_err.h"
#include "fr_fs.h"
#include "fr_logging.h"
#include "fr_props.h"

#define COMPONENT "producer-ids"
#define BLOCK_KEY "next.producer.id.block"
#define EPOCH_EXHAUSTED (INT16_MAX - 1) /* Kafka's TransactionMetadata.isEpochExhausted */

/* One transactional id (Kafka's TransactionMetadata, the id and epoch part). */
typedef struct txn_entry {
    struct txn_entry *next;    /* hash chain */
    char *id;
    size_t id_len;
    int64_t producer_id, last_producer_id;
    int16_t epoch, last_epoch;
} txn_entry_t;

struct fr_producer_ids {
    char *path;
    int64_t next_id;           /* next id to hand out */
    int64_t block_end;         /* ids below this are recorded as used */
    txn_entry_t **buckets;
    size_t nbuckets, ntxn;
};

/* ---- the block file ---- */

/* Records that ids below end may have been handed out. */
static int write_block_end(fr_producer_ids_t *p, int64_t end) {
    char body[256];
    int n = snprintf(body, sizeof(body),
                     "# Freshet: producer ids below this number may have been handed out (InitProducerId).\n"
                     "%s=%" PRId64 "\n", BLOCK_KEY, end);
    return fr_file_replace(p->path, body, (size_t)n, FR_FS_SYNC_DIR);
}

int fr_producer_ids_open(const char *dir, fr_producer_ids_t **out, char *err, size_t errlen) {
    fr_props_t props;
    char perr[256];
    *out = NULL;
    fr_producer_ids_t *p = calloc(1, sizeof(*p));
    if (!p)
        return FR_ERR_NOMEM;
    size_t plen = strlen(dir) + sizeof(FR_PRODUCER_ID_FILE) + 1;
    p->path = malloc(plen);
    if (!p->path) {
        fr_producer_ids_close(p);
        return FR_ERR_NOMEM;
    }
    snprintf(p->path, plen, "%s/%s", dir, FR_PRODUCER_ID_FILE);

    fr_props_init(&props);
    int rc = fr_props_load(&props, p->path, perr, sizeof(perr));
    if (rc == FR_ERR_NOT_FOUND) {
        rc = 0; /* no id was ever handed out from this log dir */
    } else if (rc == 0) {
        const char *v = fr_props_get(&props, BLOCK_KEY);
        if (!v || fr_config_parse_long(v, 0, INT64_MAX - FR_PRODUCER_ID_BLOCK_SIZE, &p->next_id)) {
            snprintf(err, errlen, "%s: missing or invalid %s", p->path, BLOCK_KEY);
            rc = FR_ERR_CONFIG;
        }
    } else {
        snprintf(err, errlen, "cannot read %s: %s", p->path, perr);
    }
    fr_props_free(&props);
    if (rc) {
        fr_producer_ids_close(p);
        return rc;
    }
    p->block_end = p->next_id; /* the first id reserves a fresh block */
    *out = p;
    return 0;
}

void fr_producer_ids_close(fr_producer_ids_t *p) {
    if (!p)
        return;
    for (size_t i = 0; i < p->nbuckets; i++) {
        for (txn_entry_t *e = p->buckets[i], *next; e; e = next) {
            next = e->next;
            free(e->id);
            free(e);
        }
    }
    free(p->buckets);
    free(p->path);
    free(p);
}

int fr_producer_ids_next(fr_producer_ids_t *p, int64_t *id) {
    if (p->next_id == p->block_end) {
        int64_t end = p->block_end + FR_PRODUCER_ID_BLOCK_SIZE;
        if (write_block_end(p, end) < 0) {
            fr_error(COMPONENT, "cannot record producer id block %" PRId64 "..%" PRId64 " in %s: %s", p->block_end,
                     end - 1, p->path, strerror(errno));
            return FR_ERR_COORDINATOR_LOAD_IN_PROGRESS;
        }
        fr_debug(COMPONENT, "reserved producer ids %" PRId64 "..%" PRId64, p->block_end, end - 1);
        p->block_end = end;
    }
    *id = p->next_id++;
    return 0;
}

/* ---- transactional ids ---- */

static size_t hash_id(const uint8_t *s, size_t n) {
    uint64_t h = 0xcbf29ce484222325ULL; /* FNV-1a */
    for (size_t i = 0; i < n; i++)
        h = (h ^ s[i]) * 0x100000001b3ULL;
    return (size_t)h;
}

static txn_entry_t *txn_find(const fr_producer_ids_t *p, fr_slice_t id) {
    if (!p->nbuckets)
        return NULL;
    for (txn_entry_t *e = p->buckets[hash_id(id.ptr, (size_t)id.len) & (p->nbuckets - 1)]; e; e = e->next)
        if (e->id_len == (size_t)id.len && memcmp(e->id, id.ptr, e->id_len) == 0)
            return e;
    return NULL;
}

static int txn_grow(fr_producer_ids_t *p) {
    size_t n = p->nbuckets ? p->nbuckets * 2 : 16;
    txn_entry_t **b = calloc(n, sizeof(*b));
    if (!b)
        return FR_ERR_NOMEM;
    for (size_t i = 0; i < p->nbuckets; i++) {
        for (txn_entry_t *e = p->buckets[i], *next; e; e = next) {
            next = e->next;
            size_t j = hash_id((const uint8_t *)e->id, e->id_len) & (n - 1);
            e->next = b[j];
            b[j] = e;
        }
    }
    free(p->buckets);
    p->buckets = b;
    p->nbuckets = n;
    return 0;
}

static txn_entry_t *txn_insert(fr_producer_ids_t *p, fr_slice_t id) {
    if (p->ntxn >= p->nbuckets && txn_grow(p))
        return NULL;
    txn_entry_t *e = calloc(1, sizeof(*e));
    if (!e || !(e->id = malloc((size_t)id.len + 1))) {
        free(e);
        return NULL;
    }
    memcpy(e->id, id.ptr, (size_t)id.len);
    e->id[id.len] = '\0';
    e->id_len = (size_t)id.len;
    e->producer_id = e->last_producer_id = -1;
    e->epoch = e->last_epoch = -1;
    size_t j = hash_id(id.ptr, (size_t)id.len) & (p->nbuckets - 1);
    e->next = p->buckets[j];
    p->buckets[j] = e;
    p->ntxn++;
    return e;
}

/*
 * Kafka's TransactionCoordinator.prepareInitProducerIdTransit for a
 * transaction in a completed state (the only state there is so far).
 */
static int txn_init(fr_producer_ids_t *p, txn_entry_t *e, int64_t expected_id, int16_t expected_epoch) {
    int has_expected = expected_id != -1; /* a pair was sent (InitProducerId: both -1 or neither) */
    if (has_expected && e->epoch >= 0 && expected_id != e->producer_id &&
        !(expected_id == e->last_producer_id && expected_epoch >= EPOCH_EXHAUSTED))
        return FR_ERR_INVALID_PRODUCER_EPOCH; /* fenced */

    if (e->epoch >= EPOCH_EXHAUSTED && (!has_expected || expected_epoch == e->epoch)) {
        int64_t id;
        int rc = fr_producer_ids_next(p, &id);
        if (rc)
            return rc;
        e->last_producer_id = e->producer_id;
        e->last_epoch = has_expected ? e->epoch : -1;
        e->producer_id = id;
        e->epoch = 0;
        return 0;
    }
    if (!has_expected) {
        e->last_epoch = -1;
        e->epoch++;
    } else if (e->epoch < 0 || expected_epoch == e->epoch) {
        e->last_epoch = e->epoch;
        e->epoch++;
    } else if (expected_epoch != e->last_epoch) {
        return FR_ERR_INVALID_PRODUCER_EPOCH; /* fenced */
    } /* else: a retry of the bump that made the current epoch; answer it again */
    return 0;
}

int fr_producer_ids_init_producer(fr_producer_ids_t *p, fr_slice_t transactional_id, int32_t timeout_ms,
                                  int64_t expected_id, int16_t expected_epoch, int64_t *id, int16_t *epoch) {
    if (fr_slice_is_null(transactional_id)) {
        *epoch = 0;
        return fr_producer_ids_next(p, id);
    }
    if (transactional_id.len == 0)
        return FR_ERR_INVALID_REQUEST;
    if (timeout_ms <= 0 || timeout_ms > FR_MAX_TRANSACTION_TIMEOUT_MS)
        return FR_ERR_INVALID_TRANSACTION_TIMEOUT;

    txn_entry_t *e = txn_find(p, transactional_id);
    if (!e) {
        int64_t new_id;
        int rc = fr_producer_ids_next(p, &new_id);
        if (rc)
            return rc;
        if (!(e = txn_insert(p, transactional_id)))
            return FR_ERR_NOMEM;
        e->producer_id = new_id; /* epoch -1: txn_init bumps it to 0 */
    }
    int rc = txn_init(p, e, expected_id, expected_epoch);
    if (rc == 0) {
        *id = e->producer_id;
        *epoch = e->epoch;
    }
    return rc;
}
