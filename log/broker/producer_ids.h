/*
 * producer_ids.h — producer ids and epochs for InitProducerId: Kafka's
 * ProducerIdManager, plus the one part of a transaction coordinator that
 * exists so far, the map transactional.id -> (producer id, epoch).
 *
 * Ids are unique across restarts, kill -9 included: they are handed out from
 * blocks of FR_PRODUCER_ID_BLOCK_SIZE, and a block is recorded as used in
 * <dir>/producer-id-block.properties (written to a temp file, fsync'ed,
 * renamed, directory fsync'ed) before its first id is given out, so there is
 * one fsync per block, not per call.  A restart starts a fresh block, as Kafka
 * does.
 *
 * Idempotent producers (no transactional id) get a new id with epoch 0 on
 * every call, whatever producer id and epoch they send: that is Kafka's
 * behaviour (TransactionCoordinator.handleInitProducerId), and clients (the
 * Java client, librdkafka) expect it when they re-initialise after an error.
 *
 * Transactional ids follow KIP-360 (Kafka 2.5+): the first call gets a new id
 * with epoch 0; later calls bump the epoch, and when a producer id and epoch
 * are sent they must be the current ones (or the previous epoch, a retry of a
 * bump whose answer was lost, which gets the current epoch back); an
 * exhausted epoch (32766) moves to a new producer id.  The map is in memory
 * only: it is the ground a transaction coordinator will build on.
 * Transactions themselves are not supported yet (no AddPartitionsToTxn,
 * EndTxn, markers), and Produce treats transactional batches like idempotent
 * ones.
 *
 * Threading: owned by the loop thread (the InitProducerId handler).
 * Ownership: fr_producer_ids_open returns an object freed by
 * fr_producer_ids_close; it copies what it keeps.
 */
#ifndef FR_PRODUCER_IDS_H
#define FR_PRODUCER_IDS_H

#include <stddef.h>
#include <stdint.h>

#include "fr_buf.h"

#define FR_PRODUCER_ID_BLOCK_SIZE 1000
#define FR_PRODUCER_ID_FILE "producer-id-block.properties"
#define FR_MAX_TRANSACTION_TIMEOUT_MS 900000 /* transaction.max.timeout.ms default */

typedef struct fr_producer_ids fr_producer_ids_t;

/*
 * Reads <dir>/producer-id-block.properties (a missing file means no id was
 * ever handed out).  An unreadable or malformed file is an error, written to
 * err: handing out ids twice would break deduplication.
 */
int fr_producer_ids_open(const char *dir, fr_producer_ids_t **out, char *err, size_t errlen);
void fr_producer_ids_close(fr_producer_ids_t *p);

/* A new producer id.  0, or FR_ERR_COORDINATOR_LOAD_IN_PROGRESS when a new
 * block could not be recorded (retriable for clients, as in Kafka). */
int fr_producer_ids_next(fr_producer_ids_t *p, int64_t *id);

/*
 * The InitProducerId decision.  transactional_id may be a null slice;
 * expected_id / expected_epoch are -1 when the request names no producer
 * (both -1 or neither: the caller checks).  On success fills *id and *epoch.
 * Errors: FR_ERR_INVALID_REQUEST (empty transactional id),
 * FR_ERR_INVALID_TRANSACTION_TIMEOUT, FR_ERR_INVALID_PRODUCER_EPOCH (the named
 * producer is fenced: Kafka's PRODUCER_FENCED, which the handler sends as such
 * to v4+ clients), FR_ERR_COORDINATOR_LOAD_IN_PROGRESS, FR_ERR_NOMEM.
 */
int fr_producer_ids_init_producer(fr_producer_ids_t *p, fr_slice_t transactional_id, int32_t timeout_ms,
                                  int64_t expected_id, int16_t expected_epoch, int64_t *id, int16_t *epoch);

#endif
