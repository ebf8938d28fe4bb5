/*
 * Fetch: serves whole record batches straight from segment files (the
 * response carries file ranges that go out with sendfile).  A fetch that
 * finds fewer than min_bytes parks until data arrives or max_wait_ms passes
 * (long poll); the connection answers nothing else meanwhile, as in Kafka.
 * A fetch whose bytes may not be in the page cache (older than what the
 * broker keeps cached, or on disk since before it started) first parks while
 * a worker reads them into the cache (fetch_warm.c), so the loop's sendfile
 * never waits for the disk while other clients wait for the loop.
 *
 * Sizes: each partition gets at most partition_max_bytes and the response at
 * most max_bytes (or the broker's fetch.max.bytes, when that is less, as in
 * Kafka), except that the first batch of the first partition with
 * data is always returned whole, so a consumer can make progress past a batch
 * larger than its limits (KIP-74; also when a limit is 0).  Only whole batches
 * are sent, where Kafka may end with a cut one its consumers drop.
 *
 * The long poll follows Kafka's ReplicaManager: min_bytes counts at most
 * max_bytes, and it is met by the bytes Kafka would read (each partition's
 * limit filled from what it has), not only by the whole batches sent.  An
 * error reading a partition (offset out of range, a fenced leader epoch)
 * answers at once; a partition the broker does not have (Kafka's
 * "erroneous" ones, answered without a read) and a zstd topic read before
 * v10 (refused only when the answer is built) do not end the wait, unless
 * no partition asked for is there at all; one that goes away while the
 * fetch waits (its topic deleted) does.
 * From v13 topics are named by id (KIP-516): an id the broker does not
 * know is answered UNKNOWN_TOPIC_ID, and a session keeps the ids.
 * Fetch sessions (v7+, KIP-227) are kept as Kafka keeps them
 * (fetch_sessions.h): an incremental fetch reads every partition of its
 * session and is answered with the ones that changed.  A fetch before v10
 * from a topic whose compression.type is zstd gets
 * UNSUPPORTED_COMPRESSION_TYPE, as in Kafka.
 */
#include <string.h>

#include "handlers.h"
#include "record_batch.h"

typedef struct fetch_state {
    fr_fetch_request_t in;
    fr_fetch_context_t ctx; /* its session, if any: for an incremental fetch, in.topics are the session's */
    fr_warm_t *warm;      /* the cold ranges being read into the page cache (fetch_warm.c) */
    uint64_t deadline_ms; /* the long poll's deadline, kept while warming */
    int interesting;      /* partitions the broker had at the first build, -1 before it */
} fetch_state_t;

/* An answer without records: an error's carries -1 offsets and null aborted
 * transactions, as Kafka's createLogReadResult(e) does. */
static void empty_partition(fr_fetch_response_partition_data_t *pd, int32_t index, int16_t err) {
    pd->partition_index = index;
    pd->error_code = err;
    pd->high_watermark = -1;
    pd->last_stable_offset = -1;
    pd->log_start_offset = -1;
    pd->aborted_transactions = NULL;
    pd->aborted_transactions_count = -1; /* null */
    pd->preferred_read_replica = -1;
    pd->records = (fr_records_t){NULL, 0, -1, 0, NULL, NULL};
}

/* What the whole response may carry: the client's max_bytes (every version
 * served has it) within the broker's fetch.max.bytes; 0 still gets a first
 * batch. */
static int64_t response_max_bytes(const fr_req_t *req, const fr_fetch_request_t *in) {
    int64_t broker = req->srv->cfg->fetch_max_bytes;
    int64_t asked = in->max_bytes > 0 ? in->max_bytes : 0;
    return asked < broker ? asked : broker;
}

static int64_t min64(int64_t a, int64_t b) { return a < b ? a : b; }

/* The topic a request entry names: by name, or from v13 by the id put in its place (fr_handle_fetch). */
static fr_topic_t *fetch_topic(fr_req_t *req, fr_slice_t key) {
    if (req->hdr.api_version >= 13)
        return key.len == 16 ? fr_topics_find_id(&req->srv->topics, key.ptr) : NULL;
    return fr_topics_find(&req->srv->topics, key);
}

/* From v13 topics are named by id (KIP-516).  The id takes the name's place, so the session and
 * the answer handle both alike; the response writer sends the id. */
static void ids_as_names(fr_fetch_request_t *in) {
    for (int32_t i = 0; i < in->topics_count; i++)
        in->topics[i].topic = (fr_slice_t){in->topics[i].topic_id, 16};
    for (int32_t i = 0; i < in->forgotten_topics_data_count; i++)
        in->forgotten_topics_data[i].topic = (fr_slice_t){in->forgotten_topics_data[i].topic_id, 16};
}

/*
 * Starts reading into the page cache, off the loop, the partitions' ranges
 * this fetch would otherwise read from the disk on it (fetch_warm.c).
 * Returns 1 when a warm-up runs (the fetch parks until it is done), 0 when
 * everything should be cached or the warm-up could not start.
 */
static int fetch_warm_cold(fr_req_t *req, fetch_state_t *st) {
    fr_fetch_request_t *in = &st->in;
    size_t n = 0, cap = 0;
    for (int32_t i = 0; i < in->topics_count; i++)
        cap += (size_t)in->topics[i].partitions_count;
    fr_read_result_t *cold = cap ? FR_REQ_ARRAY(req, fr_read_result_t, cap) : NULL;
    if (!cold)
        return 0;
    int64_t remaining = response_max_bytes(req, in);
    for (int32_t i = 0; i < in->topics_count && remaining > 0; i++) {
        fr_fetch_request_fetch_topic_t *ft = &in->topics[i];
        fr_topic_t *topic = fetch_topic(req, ft->topic);
        for (int32_t j = 0; j < ft->partitions_count && remaining > 0; j++) {
            fr_fetch_request_fetch_partition_t *fp = &ft->partitions[j];
            fr_partition_t *p = fr_topic_partition(topic, fp->partition);
            int64_t limit = min64(fp->partition_max_bytes, remaining);
            if (p && limit > 0 && fr_partlog_cold_range(p->log, fp->fetch_offset, limit, &cold[n])) {
                remaining -= (int64_t)cold[n].len;
                n++;
            }
        }
    }
    if (n == 0)
        return 0;
    st->warm = fr_warm_start(req->srv, cold, n);
    return st->warm != NULL;
}

static void fetch_cleanup(fr_req_t *req) {
    fetch_state_t *st = req->state;
    fr_warm_release(st->warm);
    st->warm = NULL;
    fr_fetch_context_release(&st->ctx);
}

/* Builds the response.  Returns FR_REQ_DONE, FR_REQ_PARKED (nothing written), or an error. */
static int fetch_build(fr_req_t *req, int final) {
    fetch_state_t *st = req->state;
    fr_fetch_request_t *in = &st->in;
    int16_t v = req->hdr.api_version;
    fr_fetch_response_t out;
    fr_fetch_response_init(&out);
    out.error_code = FR_ERR_NONE;
    out.session_id = 0;
    out.responses = FR_REQ_ARRAY(req, fr_fetch_response_fetchable_topic_response_t, in->topics_count);
    if (!out.responses)
        return FR_ERR_NOMEM;
    out.responses_count = in->topics_count;

    int64_t max_bytes = response_max_bytes(req, in);
    int64_t remaining = max_bytes;
    int64_t total = 0;    /* bytes of the batches sent */
    int64_t readable = 0; /* what Kafka's read would have taken: its long poll counts that */
    int any_error = 0, interesting = 0; /* Kafka answers at once when no partition is there to read */
    for (int32_t i = 0; i < in->topics_count; i++) {
        fr_fetch_request_fetch_topic_t *ft = &in->topics[i];
        fr_fetch_response_fetchable_topic_response_t *tr = &out.responses[i];
        tr->topic = ft->topic;
        if (v >= 13)
            memcpy(tr->topic_id, ft->topic.ptr, sizeof(tr->topic_id));
        tr->partitions = FR_REQ_ARRAY(req, fr_fetch_response_partition_data_t, ft->partitions_count);
        if (!tr->partitions) {
            fr_fetch_response_release(&out);
            return FR_ERR_NOMEM;
        }
        tr->partitions_count = ft->partitions_count;
        fr_topic_t *topic = fetch_topic(req, ft->topic);
        for (int32_t j = 0; j < ft->partitions_count; j++) {
            fr_fetch_request_fetch_partition_t *fp = &ft->partitions[j];
            fr_fetch_response_partition_data_t *pd = &tr->partitions[j];
            fr_partition_t *p = fr_topic_partition(topic, fp->partition);
            if (!p) { /* as Kafka: an id it does not know, else a name or partition */
                empty_partition(pd, fp->partition,
                                !topic && v >= 13 ? FR_ERR_UNKNOWN_TOPIC_ID : FR_ERR_UNKNOWN_TOPIC_OR_PARTITION);
                continue;
            }
            interesting++;
            int16_t refused = fr_req_leader_epoch_error(fp->current_leader_epoch);
            if (refused) {
                empty_partition(pd, fp->partition, refused);
                any_error = 1;
                continue;
            }
            if (v < 10 && topic->log_cfg.recompress && topic->log_cfg.codec == FR_COMPRESSION_ZSTD) {
                /* as Kafka: a client before Fetch v10 cannot read zstd, and the topic stores nothing else */
                empty_partition(pd, fp->partition, FR_ERR_UNSUPPORTED_COMPRESSION_TYPE);
                continue;
            }
            int64_t limit = min64(fp->partition_max_bytes, remaining);
            if (limit < 0)
                limit = 0;
            fr_read_result_t rr;
            int rc = fr_partlog_read(p->log, fp->fetch_offset, (int32_t)limit, &rr);
            if (rc) {
                empty_partition(pd, fp->partition, fr_err_to_kafka(rc));
                any_error = 1;
                continue;
            }
            empty_partition(pd, fp->partition, FR_ERR_NONE);
            pd->high_watermark = rr.high_watermark;
            pd->last_stable_offset = rr.high_watermark;
            pd->log_start_offset = rr.log_start_offset;
            if (in->isolation_level == 1)
                pd->aborted_transactions_count = 0; /* read_committed: a list, empty without transactions */
            if (rr.len == 0 || (total > 0 && (int64_t)rr.len > limit)) {
                /* nothing new, or it does not fit behind what we already return (Kafka's
                 * read gives that partition nothing: its first batch would be cut) */
                if (rr.unref)
                    rr.unref(rr.ref);
                continue;
            }
            int64_t took = min64(limit, rr.bytes_behind);
            if (total == 0 && (int64_t)rr.len > took)
                took = (int64_t)rr.len; /* the first partition with data gets its first batch whatever the limits */
            readable += took;
            fr_server_note_fetch(p, rr.bytes_behind);
            pd->records = (fr_records_t){NULL, (int32_t)rr.len, rr.fd, rr.file_position, rr.unref, rr.ref};
            total += (int64_t)rr.len;
            remaining -= (int64_t)rr.len;
        }
    }
    /* one that went away while the fetch waited ends the wait, as Kafka's DelayedFetch does (a
     * deleted topic's partitions are no longer found) */
    int lost = st->interesting >= 0 && interesting < st->interesting;
    if (st->interesting < 0)
        st->interesting = interesting;
    if (!final && !any_error && !lost && interesting &&
        min64(readable, max_bytes) < min64(in->min_bytes, max_bytes) && in->max_wait_ms > 0) {
        fr_fetch_response_release(&out);
        return FR_REQ_PARKED;
    }
    if (fr_fetch_context_answer(&req->srv->fetch_sessions, &st->ctx, in, &out, req->arena,
                                uv_now(req->srv->loop))) {
        fr_fetch_response_release(&out);
        return FR_ERR_NOMEM;
    }
    /* The writer takes over every file reference. */
    fr_fetch_response_write(req->resp, v, &out);
    return FR_REQ_DONE;
}

static int fetch_retry(fr_req_t *req, int timed_out) {
    fetch_state_t *st = req->state;
    if (st->warm) {
        if (!fr_warm_done(st->warm) && !timed_out)
            return FR_REQ_PARKED;
        fr_warm_release(st->warm);
        st->warm = NULL;
        req->deadline_ms = st->deadline_ms;
        timed_out = timed_out || req->deadline_ms <= uv_now(req->srv->loop);
    }
    return fetch_build(req, timed_out);
}

int fr_handle_fetch(fr_req_t *req) {
    fetch_state_t *st = fr_arena_calloc(req->arena, 1, sizeof(*st));
    if (!st)
        return FR_ERR_NOMEM;
    st->interesting = -1;
    if (fr_fetch_request_read(&req->body, req->hdr.api_version, req->arena, &st->in))
        return FR_ERR_PARSE;
    req->state = st;
    req->retry = fetch_retry;
    req->cleanup = fetch_cleanup;
    int by_id = req->hdr.api_version >= 13;
    if (by_id)
        ids_as_names(&st->in);
    if (fr_fetch_context_open(&req->srv->fetch_sessions, &st->in, by_id, req->arena, uv_now(req->srv->loop),
                              &st->ctx))
        return FR_ERR_NOMEM;
    if (st->ctx.kind == FR_FETCH_SESSION_ERROR)
        st->in.topics_count = 0; /* nothing is read: the answer is the session's error alone */
    st->deadline_ms = uv_now(req->srv->loop) + (uint64_t)(st->in.max_wait_ms > 0 ? st->in.max_wait_ms : 0);
    req->deadline_ms = st->deadline_ms;
    if (fetch_warm_cold(req, st)) {
        /* no deadline: the warm-up always ends, and its end wakes parked requests */
        req->deadline_ms = UINT64_MAX;
        return FR_REQ_PARKED;
    }
    return fetch_build(req, 0);
}
