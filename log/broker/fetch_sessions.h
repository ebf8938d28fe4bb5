/*
 * fetch_sessions.h — incremental fetch sessions (KIP-227): Kafka's
 * FetchSessionCache and FetchManager.newContext.
 *
 * Why: a consumer of many partitions would otherwise name every partition in
 * every Fetch, and get every partition back, data or not.  A full fetch with
 * session epoch 0 makes a session holding each partition it asked for: what
 * the fetcher last asked (offset, sizes, epochs) and what the broker last
 * told it (high watermark, log start).  The fetcher's next fetches (epochs 1,
 * 2, ...) name only the partitions whose request changed and the ones to
 * forget; the broker reads every partition of the session and answers only
 * those with records, changed offsets or an error.  Epoch -1 fetches without
 * a session (what librdkafka, kafkajs and kafka-python do).
 *
 * The cache holds at most max.incremental.fetch.session.cache.slots sessions
 * (Kafka's default 1000; 0 turns sessions off).  When it is full, a new
 * session takes the place of one unused for two minutes, or of one made more
 * than two minutes ago that holds fewer partitions, as Kafka evicts (its
 * MIN_INCREMENTAL_FETCH_SESSION_EVICTION_MS); otherwise the fetch gets
 * session id 0 and the client keeps sending full fetches.  (Kafka 3.8 splits
 * the slots over 8 shards; here they are one cache.)
 *
 * Ownership: the cache owns its sessions.  A fetch context holds a reference
 * to its session; a session closed or evicted while a parked fetch holds it
 * lives until fr_fetch_context_release.  Topic names are copied into the
 * session, and into the request's arena for the partitions an incremental
 * fetch reads.  Loop thread only, as the topic registry.
 */
#ifndef FR_FETCH_SESSIONS_H
#define FR_FETCH_SESSIONS_H

#include <stddef.h>
#include <stdint.h>

#include "fr_arena.h"
#include "fr_buf.h"
#include "fr_messages.h"

#define FR_FETCH_SESSION_EVICTION_MS 120000

typedef struct fr_fetch_session_part {
    fr_slice_t topic;          /* in the session's names arena: the name, or the 16-byte id (uses_topic_ids) */
    int32_t partition;
    int32_t max_bytes, current_leader_epoch, last_fetched_epoch; /* as the fetcher last asked */
    int64_t fetch_offset, log_start_offset;
    int64_t high_watermark;    /* as last answered: -1 before the first answer, and after an error */
    int64_t local_log_start;   /* the partition's log start as last answered */
    uint64_t hash;             /* of topic and partition, kept so the lookup table rebuilds without them */
} fr_fetch_session_part_t;

typedef struct fr_fetch_session {
    int32_t id, epoch;          /* epoch: what the fetcher's next request must carry */
    int uses_topic_ids;         /* made by a Fetch v13+: its parts are keyed by topic id, and only such
                                   fetches may use it (Kafka's usesTopicIds) */
    uint64_t created_ms, last_used_ms;
    fr_fetch_session_part_t *parts; /* in the order they are read and answered */
    size_t n, cap;
    size_t cached_size;         /* n at the last touch: its weight for eviction, as Kafka's cachedSize */
    int evictable;              /* more than the eviction time old at the last touch */
    int refs;                   /* the cache's, while it is in it, and each context's */
    uint32_t *slots;            /* open addressing, part index + 1; 0 is empty */
    size_t nslots;
    int slots_stale;            /* parts were removed or moved: rebuild before the next lookup */
    fr_arena_t names;
    size_t names_bytes;         /* copied into names so far (the arena never frees one) */
} fr_fetch_session_t;

typedef struct fr_fetch_sessions {
    fr_fetch_session_t **by_id; /* sorted by id */
    size_t n, cap;
    int32_t max_sessions;
    uint64_t eviction_ms;
    uint64_t evictions;
} fr_fetch_sessions_t;

void fr_fetch_sessions_init(fr_fetch_sessions_t *c, int32_t max_sessions, uint64_t eviction_ms);
/* Drops the cache's references; sessions still held by contexts live on until released. */
void fr_fetch_sessions_free(fr_fetch_sessions_t *c);
/* The session with this id in the cache, or NULL (borrowed). */
fr_fetch_session_t *fr_fetch_sessions_get(const fr_fetch_sessions_t *c, int32_t id);
size_t fr_fetch_sessions_count(const fr_fetch_sessions_t *c);

/* Kafka's FetchMetadata.nextEpoch: -1 stays -1, Int.MaxValue wraps to 1. */
int32_t fr_fetch_session_next_epoch(int32_t epoch);

enum { FR_FETCH_SESSIONLESS = 0, FR_FETCH_FULL, FR_FETCH_INCREMENTAL, FR_FETCH_SESSION_ERROR };

/* What a fetch's session fields make of it. */
typedef struct fr_fetch_context {
    int kind;                    /* FR_FETCH_* */
    int16_t error;               /* FR_FETCH_SESSION_ERROR: FETCH_SESSION_ID_NOT_FOUND, INVALID_FETCH_SESSION_EPOCH
                                    or FETCH_SESSION_TOPIC_ID_ERROR */
    fr_fetch_session_t *session; /* FR_FETCH_INCREMENTAL: a reference (fr_fetch_context_release) */
    int32_t expected_epoch;      /* the session's epoch this context's answer must still find */
    int uses_topic_ids;          /* the fetch names topics by id (v13+): a session it makes is keyed so */
} fr_fetch_context_t;

/*
 * Opens the context of fetch `in` at `now` (ms, monotonic), as Kafka's
 * FetchManager.newContext: a full fetch (epoch 0 or -1) naming a session
 * closes it; an incremental one applies its partitions and forgotten topics
 * to its session, moves the session's epoch on, and replaces in->topics by
 * every partition of the session (from arena), in the session's order.  A
 * session left without partitions is closed and the fetch is answered
 * without one.  uses_topic_ids: the fetch is v13+ and the caller has put
 * each topic's 16-byte id where its name goes (in->topics and
 * in->forgotten_topics_data), so the session is keyed by id; an
 * incremental fetch of the other kind than its session gets
 * FETCH_SESSION_TOPIC_ID_ERROR.  0, or FR_ERR_NOMEM (a session that was
 * being updated is closed: part of the update may have landed).
 */
int fr_fetch_context_open(fr_fetch_sessions_t *c, fr_fetch_request_t *in, int uses_topic_ids, fr_arena_t *arena,
                          uint64_t now, fr_fetch_context_t *ctx);

/*
 * Finishes `out`, built for in->topics index for index, as Kafka's
 * updateAndGenerateResponseData: a full fetch makes a session when there is
 * room (its id goes into out, 0 otherwise); an incremental one keeps only the
 * partitions with records, a changed high watermark or log start, or an
 * error, records what it answered, and moves the partitions that returned
 * records to the end of the session (so the next response's size limit
 * favours the others).  If the session's epoch moved meanwhile (another
 * request on it), out becomes INVALID_FETCH_SESSION_EPOCH with nothing in it,
 * its records released.  arena gives scratch space.  0, or FR_ERR_NOMEM
 * when an incremental answer's scratch space cannot be had (out is then
 * unchanged).  A full fetch whose session cannot be made for want of memory
 * is answered without one, as when the cache is full.
 */
int fr_fetch_context_answer(fr_fetch_sessions_t *c, fr_fetch_context_t *ctx, const fr_fetch_request_t *in,
                            fr_fetch_response_t *out, fr_arena_t *arena, uint64_t now);

/* Lets go of the file references out's records hold, for a response that will not be written
 * (the writer takes them over otherwise); idempotent. */
void fr_fetch_response_release(fr_fetch_response_t *out);

/* Lets go of the context's session reference (idempotent). */
void fr_fetch_context_release(fr_fetch_context_t *ctx);

#endif
