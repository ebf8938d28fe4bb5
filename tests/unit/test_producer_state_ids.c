/* Producer ids for InitProducerId: blocks recorded on disk so ids stay unique
 * across reopen (a crash included), Kafka's answer for idempotent producers,
 * and the KIP-360 epoch rules for transactional ids. */
#include <ftw.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fr_err.h"
#include "fr_test.h"
#include "producer_ids.h"

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw) {
    (void)st, (void)flag, (void)ftw;
    return remove(path);
}

static char *make_tmp(void) {
    char *d = strdup("/tmp/fr-pids-XXXXXX");
    if (!mkdtemp(d)) {
        perror("mkdtemp");
        exit(1);
    }
    return d;
}

static fr_producer_ids_t *open_ids(const char *dir) {
    char err[256] = "";
    fr_producer_ids_t *p = NULL;
    int rc = fr_producer_ids_open(dir, &p, err, sizeof(err));
    if (rc)
        fprintf(stderr, "open: %s\n", err);
    FR_CHECK_EQ_INT(rc, 0);
    return p;
}

static const fr_slice_t NO_TXN = {NULL, -1};

static int init(fr_producer_ids_t *p, const char *txn, int64_t eid, int16_t eepoch, int64_t *id, int16_t *epoch) {
    fr_slice_t t = txn ? fr_slice_from_cstr(txn) : NO_TXN;
    *id = -2;
    *epoch = -2;
    return fr_producer_ids_init_producer(p, t, 60000, eid, eepoch, id, epoch);
}

FR_TEST(ids_unique_across_reopen) {
    char *tmp = make_tmp();
    int64_t id, last = -1;
    int16_t epoch;
    fr_producer_ids_t *p = open_ids(tmp);
    for (int i = 0; i < 2500; i++) { /* three blocks */
        FR_CHECK_EQ_INT(init(p, NULL, -1, -1, &id, &epoch), 0);
        FR_CHECK(id > last);
        FR_CHECK_EQ_INT(epoch, 0);
        last = id;
    }
    FR_CHECK_EQ_INT(last, 2499);
    /* no close: as after kill -9, the file already says what was handed out */
    fr_producer_ids_t *q = open_ids(tmp);
    FR_CHECK_EQ_INT(fr_producer_ids_next(q, &id), 0);
    FR_CHECK_EQ_INT(id, 3000); /* a fresh block */
    fr_producer_ids_close(p);
    fr_producer_ids_close(q);

    /* an idempotent producer naming its old id gets a new one (Kafka's answer) */
    p = open_ids(tmp);
    FR_CHECK_EQ_INT(init(p, NULL, 3000, 0, &id, &epoch), 0);
    FR_CHECK_EQ_INT(id, 4000);
    FR_CHECK_EQ_INT(epoch, 0);
    fr_producer_ids_close(p);

    /* a damaged file stops the broker instead of handing ids out twice */
    char path[512], err[256];
    snprintf(path, sizeof(path), "%s/%s", tmp, FR_PRODUCER_ID_FILE);
    FILE *f = fopen(path, "w");
    fputs("next.producer.id.block=banana\n", f);
    fclose(f);
    fr_producer_ids_t *bad = NULL;
    FR_CHECK_EQ_INT(fr_producer_ids_open(tmp, &bad, err, sizeof(err)), FR_ERR_CONFIG);
    FR_CHECK(bad == NULL);
    FR_CHECK(strstr(err, "next.producer.id.block") != NULL);
    nftw(tmp, rm_one, 8, FTW_DEPTH | FTW_PHYS);
    free(tmp);
}

FR_TEST(transactional_ids_follow_kip_360) {
    char *tmp = make_tmp();
    fr_producer_ids_t *p = open_ids(tmp);
    int64_t id, id2;
    int16_t epoch;

    FR_CHECK_EQ_INT(init(p, "tx", -1, -1, &id, &epoch), 0);
    FR_CHECK_EQ_INT(epoch, 0);
    FR_CHECK_EQ_INT(init(p, "tx", -1, -1, &id2, &epoch), 0); /* a new instance: same id, bumped */
    FR_CHECK_EQ_INT(id2, id);
    FR_CHECK_EQ_INT(epoch, 1);
    FR_CHECK_EQ_INT(init(p, "tx", id, 1, &id2, &epoch), 0); /* KIP-360 bump from the current epoch */
    FR_CHECK_EQ_INT(epoch, 2);
    FR_CHECK_EQ_INT(init(p, "tx", id, 1, &id2, &epoch), 0); /* its retry: the same answer */
    FR_CHECK_EQ_INT(id2, id);
    FR_CHECK_EQ_INT(epoch, 2);
    FR_CHECK_EQ_INT(init(p, "tx", id, 0, &id2, &epoch), FR_ERR_INVALID_PRODUCER_EPOCH); /* fenced */
    FR_CHECK_EQ_INT(init(p, "tx", id + 77, 2, &id2, &epoch), FR_ERR_INVALID_PRODUCER_EPOCH);
    FR_CHECK_EQ_INT(init(p, "tx", id, 2, &id2, &epoch), 0);
    FR_CHECK_EQ_INT(epoch, 3);

    /* another transactional id is independent; so is an idempotent producer */
    FR_CHECK_EQ_INT(init(p, "other", -1, -1, &id2, &epoch), 0);
    FR_CHECK(id2 != id);
    FR_CHECK_EQ_INT(epoch, 0);

    /* epoch exhaustion: a new producer id, and the old one with its last epoch is a valid retry */
    for (int e = 3; e < 32766; e++)
        FR_CHECK_EQ_INT(init(p, "tx", id, (int16_t)e, &id2, &epoch), 0);
    FR_CHECK_EQ_INT(epoch, 32766);
    int64_t rotated;
    FR_CHECK_EQ_INT(init(p, "tx", id, 32766, &rotated, &epoch), 0);
    FR_CHECK(rotated != id);
    FR_CHECK_EQ_INT(epoch, 0);
    FR_CHECK_EQ_INT(init(p, "tx", id, 32766, &id2, &epoch), 0); /* retry of the rotation */
    FR_CHECK_EQ_INT(id2, rotated);
    FR_CHECK_EQ_INT(epoch, 0);
    FR_CHECK_EQ_INT(init(p, "tx", id, 32765, &id2, &epoch), FR_ERR_INVALID_PRODUCER_EPOCH);

    /* bad requests */
    fr_slice_t empty = {(const uint8_t *)"", 0};
    FR_CHECK_EQ_INT(fr_producer_ids_init_producer(p, empty, 60000, -1, -1, &id, &epoch), FR_ERR_INVALID_REQUEST);
    fr_slice_t tx = fr_slice_from_cstr("tx");
    FR_CHECK_EQ_INT(fr_producer_ids_init_producer(p, tx, 0, -1, -1, &id, &epoch), FR_ERR_INVALID_TRANSACTION_TIMEOUT);
    FR_CHECK_EQ_INT(fr_producer_ids_init_producer(p, tx, 900001, -1, -1, &id, &epoch),
                    FR_ERR_INVALID_TRANSACTION_TIMEOUT);
    /* many transactional ids: the map grows and still finds each */
    int bad = 0;
    int64_t ids[300];
    for (int i = 0; i < 300; i++) {
        char name[32];
        snprintf(name, sizeof(name), "t-%d", i);
        bad += init(p, name, -1, -1, &ids[i], &epoch) != 0;
    }
    for (int i = 0; i < 300; i++) {
        char name[32];
        snprintf(name, sizeof(name), "t-%d", i);
        bad += init(p, name, -1, -1, &id, &epoch) != 0 || id != ids[i] || epoch != 1;
    }
    FR_CHECK_EQ_INT(bad, 0);
    fr_producer_ids_close(p);
    nftw(tmp, rm_one, 8, FTW_DEPTH | FTW_PHYS);
    free(tmp);
}

int main(void) {
    FR_RUN(ids_unique_across_reopen);
    FR_RUN(transactional_ids_follow_kip_360);
    return fr_test_done();
}
