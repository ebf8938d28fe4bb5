/*
 * Produce: appends each partition's record batch to its log (one per
 * partition, as Kafka's validator takes and every client sends; more is
 * INVALID_RECORD).  Batches are validated (CRC, magic, size, records) and
 * stored as sent, with the broker's base offset patched in place; nothing
 * is decompressed unless the topic asks for it (a compacted topic's keys, a
 * compression.type codec: see log_validator.h).  Errors are per partition;
 * other partitions of the same request still succeed, but for the one check
 * Kafka makes of the whole request first (below).
 *
 * Idempotent producers: the log checks each batch's producer id, epoch and
 * sequence numbers (fr_partlog_append).  A retried batch that is already in
 * the log is answered NONE with its original base offset, as Kafka does, so
 * librdkafka and the Java client count it delivered once.
 *
 * Acknowledgement waits for durability only where the flush policy says so:
 * when an append reaches flush.messages the response parks until an fsync
 * covering it completes (concurrent producers share that fsync: group
 * commit), as Kafka flushes before it answers.  Otherwise data is
 * acknowledged once it is in the page cache, as in Kafka.
 *
 * An append that would decompress or re-compress at least OFFLOAD_MIN_BYTES
 * (a compression.type codec other than the batches', a compacted topic's
 * compressed batches, batches whose records are checked in a codec slower
 * to decompress than lz4, lz4 batches that could decode past
 * FR_LZ4_CHECK_MAX_OUT: fr_partlog_codec_bytes) runs on a worker instead
 * (append_offload.c), and the request parks until it is back.
 *
 * Produce before v7 may not carry zstd batches (UNSUPPORTED_COMPRESSION_TYPE,
 * as in Kafka).
 *
 * Checks in Kafka's order (KafkaApis, ProduceRequest.validateRecords,
 * ReplicaManager.appendToLocalLog): a transactional batch in a request
 * without a transactional id (every partition is answered
 * TRANSACTIONAL_ID_AUTHORIZATION_FAILED); an unknown partition; the records'
 * shape (exactly one v2 batch: INVALID_RECORD, or CORRUPT_MESSAGE for a
 * length or magic no batch can have; bytes after the batch that cannot be a
 * whole one are dropped, as Kafka trims them); acks; an internal topic
 * (INVALID_TOPIC_EXCEPTION, unless the client is "__admin_client"); a
 * batch whose baseOffset is not 0; then the log's own checks.  With acks=0
 * nothing is answered, and a failure closes the connection (FR_REQ_CLOSE),
 * as Kafka tells such a client.  A partition named twice in one request is
 * appended and answered once, from its last copy (Kafka's map of the request).
 *
 * Versions 0-2 are advertised, as Kafka 3.x does, because librdkafka before
 * 2.11 only compresses with gzip/snappy when the broker lists Produce v0; such
 * requests (message format v0/v1) are answered UNSUPPORTED_FOR_MESSAGE_FORMAT.
 */
#include <inttypes.h>
#include <stdio.h>

#include "handlers.h"
#include "record_batch.h"

/* A partition whose acknowledgement waits for an fsync up to `end`. */
typedef struct flush_wait {
    fr_slice_t topic;
    int32_t partition;
    int64_t end;
    fr_produce_response_partition_produce_response_t *pr;
} flush_wait_t;

typedef struct produce_state {
    fr_produce_response_t out;
    int16_t acks;
    int32_t timeout_ms;
    flush_wait_t *waits;
    int32_t nwaits;
    /* Appends that (de)compress records, sent off the loop (append_offload.c);
     * room for nparts, made when the first one comes. */
    int32_t nparts;
    fr_offload_part_t *offload;
    fr_produce_response_partition_produce_response_t **offload_pr;
    int32_t noffload;
    fr_append_offload_t *job;
} produce_state_t;

/* Appends that would decompress or re-compress at least this much go to a
 * worker; below it the work (gzip: 60-160 us to compress 16 KiB here, about
 * 10 us to decompress it; lz4 less) holds the loop well under a
 * millisecond, and small batches skip the trip to the pool and back. */
#define OFFLOAD_MIN_BYTES (16 * 1024)

/*
 * Kafka's record_errors (v8+) and message for an append refused for its
 * records: every refused record is named, so a client can fail those with
 * their own reasons and the rest of the batch as collateral.  The message is
 * Kafka's RecordValidationException's: for timestamps a fixed sentence; for
 * other record errors their count and the first three, as RecordError(...).
 */
static void refused_records(fr_req_t *req, fr_slice_t topic, int32_t partition, int rc, const fr_append_info_t *info,
                            fr_produce_response_partition_produce_response_t *pr) {
    char tp[300], why[400], msg[1400];
    snprintf(tp, sizeof(tp), "%.*s-%d", (int)topic.len, (const char *)topic.ptr, partition);
    pr->record_errors = FR_REQ_ARRAY(req, fr_produce_response_batch_index_and_error_message_t,
                                     (size_t)info->n_record_errors);
    int n = snprintf(msg, sizeof(msg), "One or more records have been rejected due to %d record errors in total, "
                     "and only showing the first three errors at most: [", (int)info->n_record_errors);
    for (int32_t i = 0; i < info->n_record_errors; i++) {
        const fr_record_error_t *e = &info->record_errors[i];
        fr_record_error_message(e, info->ts_lo, info->ts_hi, tp, why, sizeof(why));
        if (pr->record_errors) {
            pr->record_errors[i].batch_index = e->index;
            pr->record_errors[i].batch_index_error_message = fr_req_msg(req, why);
        }
        if (i < 3 && n > 0 && (size_t)n < sizeof(msg))
            n += snprintf(msg + n, sizeof(msg) - (size_t)n, "%sRecordError(batchIndex=%d, message='%s')",
                          i ? ", " : "", (int)e->index, why);
    }
    if (n > 0 && (size_t)n < sizeof(msg))
        snprintf(msg + n, sizeof(msg) - (size_t)n, "]");
    if (pr->record_errors)
        pr->record_errors_count = info->n_record_errors;
    pr->error_message = fr_req_msg(req, rc == FR_ERR_INVALID_TIMESTAMP
                                            ? "One or more records have been rejected due to invalid timestamp"
                                            : msg);
}

/* Says why the log refused an append. */
static void refused(fr_req_t *req, fr_slice_t topic, int32_t partition, int rc, const fr_append_info_t *info,
                    fr_produce_response_partition_produce_response_t *pr) {
    char msg[512];
    pr->error_code = fr_err_to_kafka(rc);
    if (info->n_record_errors > 0) {
        refused_records(req, topic, partition, rc, info, pr);
        return;
    }
    const fr_oversize_t *o = &info->oversize;
    int tl = (int)topic.len;
    const char *tp = (const char *)topic.ptr;
    if (o->kind == FR_OVERSIZE_MESSAGE) /* Kafka's words for each (UnifiedLog; its "append topartition" spaced) */
        snprintf(msg, sizeof(msg),
                 "The record batch size in the append to %.*s-%d is %" PRId64
                 " bytes which exceeds the maximum configured value of %" PRId64 ".",
                 tl, tp, partition, o->size, o->limit);
    else if (o->kind == FR_OVERSIZE_STORED_MESSAGE)
        snprintf(msg, sizeof(msg),
                 "Message batch size is %" PRId64 " bytes in append to partition %.*s-%d which exceeds the maximum "
                 "configured size of %" PRId64 ".",
                 o->size, tl, tp, partition, o->limit);
    else if (o->kind == FR_OVERSIZE_SEGMENT)
        snprintf(msg, sizeof(msg),
                 "Message batch size is %" PRId64 " bytes in append to partition %.*s-%d, which exceeds the maximum "
                 "configured segment size of %" PRId64 ".",
                 o->size, tl, tp, partition, o->limit);
    else if (info->why)
        snprintf(msg, sizeof(msg), "%s in topic partition %.*s-%d.", info->why, tl, tp, partition);
    else
        snprintf(msg, sizeof(msg), "%s", fr_err_str(rc));
    pr->error_message = fr_req_msg(req, msg);
}

/*
 * Kafka's ProduceRequest.validateRecords, reading batch frames as its
 * ByteBufferLogInputStream does: exactly one whole v2 batch, else
 * INVALID_RECORD; a frame whose length or magic no batch can have,
 * CORRUPT_MESSAGE.  Bytes after the batch too few to be a whole one are cut
 * off (records->len shrinks), as Kafka's append trims them.  *zstd tells
 * whether the batch is zstd; *why gets a message on error.
 */
static int16_t records_shape(fr_records_t *records, int *zstd, const char **why) {
    const uint8_t *p = records->ptr;
    size_t left = records->len > 0 ? (size_t)records->len : 0, batches = 0;
    while (left >= FR_BATCH_LOG_OVERHEAD) {
        int32_t size = (int32_t)fr_be32(p + 8);
        if (size < 14) { /* Kafka's smallest v0 record */
            *why = "record batch length below the minimum record size";
            return FR_ERR_CORRUPT_MESSAGE;
        }
        if (left <= FR_BATCH_OFF_MAGIC)
            break;
        int8_t magic = (int8_t)p[FR_BATCH_OFF_MAGIC];
        if (magic < 0 || magic > 2) {
            *why = "invalid magic found in record batch";
            return FR_ERR_CORRUPT_MESSAGE;
        }
        if (left - FR_BATCH_LOG_OVERHEAD < (size_t)size)
            break; /* not whole: no batch, as Kafka's reader sees it */
        if (batches == 0) {
            if (magic != 2) {
                *why = "Produce requests with version 3 or later are only allowed to contain record batches with "
                       "magic version 2";
                return FR_ERR_INVALID_RECORD;
            }
            *zstd = (fr_be16(p + FR_BATCH_OFF_ATTRIBUTES) & 7) == FR_COMPRESSION_ZSTD; /* whole: 26+ bytes */
        }
        if (++batches > 1) {
            /* Kafka's LogValidator takes one v2 batch per partition per request, as
             * every client sends; record_errors' indexes then count within it */
            *why = "Produce requests are only allowed to contain exactly one record batch per partition";
            return FR_ERR_INVALID_RECORD;
        }
        p += FR_BATCH_LOG_OVERHEAD + (size_t)size;
        left -= FR_BATCH_LOG_OVERHEAD + (size_t)size;
    }
    if (batches == 0) {
        *why = "Produce requests must have at least one record batch per partition";
        return FR_ERR_INVALID_RECORD;
    }
    records->len = (int32_t)(p - records->ptr); /* what follows is not a batch */
    return FR_ERR_NONE;
}

/* Records the outcome of p's append in pr, and the fsync wait when the flush policy asks for one. */
static void append_outcome(fr_req_t *req, produce_state_t *st, fr_slice_t name, int32_t partition, int16_t acks,
                           fr_partition_t *p, int rc, const fr_append_info_t *info,
                           fr_produce_response_partition_produce_response_t *pr) {
    if (rc) {
        refused(req, name, partition, rc, info, pr);
        if (p)
            pr->log_start_offset = fr_partlog_start_offset(p->log);
        return;
    }
    pr->error_code = FR_ERR_NONE;
    pr->base_offset = info->base_offset;
    pr->log_append_time_ms = info->log_append_time;
    pr->log_start_offset = info->log_start_offset;
    /* The wait names the topic with the request's own bytes (they stay put while
     * it is parked): the topic, and its name, may be deleted before the fsync. */
    int64_t end = info->last_offset + 1;
    /* An idempotent producer's retry of an append still waiting for its fsync (or whose fsync
     * failed) is answered with that fsync, as the first is: Kafka flushes under the log's lock,
     * so a retry never finds the batch before it is on disk.  Any other retry is answered now. */
    int retry_unsynced = info->duplicate && p && p->flushed_end < end &&
                         (p->flush_awaited_end >= end || (p->flush_error && p->flush_error_end >= end));
    if (acks != 0 && ((!info->duplicate && info->needs_flush) || retry_unsynced)) {
        st->waits[st->nwaits++] = (flush_wait_t){name, partition, end, pr};
        if (p && end > p->flush_awaited_end)
            p->flush_awaited_end = end;
    }
}

/* Appends one partition's batches, or sends them off the loop; 0, or FR_ERR_NOMEM. */
static int append_one(fr_req_t *req, produce_state_t *st, fr_slice_t name, fr_topic_t *topic, int16_t acks,
                      fr_produce_request_partition_produce_data_t *pd,
                      fr_produce_response_partition_produce_response_t *pr) {
    pr->index = pd->index;
    pr->base_offset = -1;
    pr->log_append_time_ms = -1;
    pr->log_start_offset = -1;
    pr->error_message = FR_SLICE_NULL;
    fr_partition_t *p = fr_topic_partition(topic, pd->index);
    if (!p) {
        pr->error_code = FR_ERR_UNKNOWN_TOPIC_OR_PARTITION;
        return 0;
    }
    if (req->hdr.api_version < 3) {
        /* v0-2 carry message format v0/v1, which this broker does not store */
        pr->error_code = FR_ERR_UNSUPPORTED_FOR_MESSAGE_FORMAT;
        return 0;
    }
    const char *why = NULL;
    int zstd = 0;
    if ((pr->error_code = records_shape(&pd->records, &zstd, &why)) != FR_ERR_NONE) {
        pr->error_message = fr_req_msg(req, why);
        return 0;
    }
    /* Kafka refuses zstd in Produce before v7 (KIP-110): a client that old could not read it back. */
    if (req->hdr.api_version < 7 && zstd) {
        pr->error_code = FR_ERR_UNSUPPORTED_COMPRESSION_TYPE;
        pr->error_message = fr_req_msg(req, "zstd-compressed batches need Produce version 7 or later");
        return 0;
    }
    if (acks != 0 && acks != 1 && acks != -1) {
        pr->error_code = FR_ERR_INVALID_REQUIRED_ACKS;
        return 0;
    }
    if (fr_topic_is_internal(name) && !fr_slice_eq_cstr(req->hdr.client_id, "__admin_client")) {
        char msg[300];
        snprintf(msg, sizeof(msg), "Cannot append to internal topic %.*s", (int)name.len, (const char *)name.ptr);
        pr->error_code = FR_ERR_INVALID_TOPIC_EXCEPTION;
        pr->error_message = fr_req_msg(req, msg);
        return 0;
    }
    int64_t base = (int64_t)fr_be64(pd->records.ptr);
    if (base != 0) {
        char msg[400];
        snprintf(msg, sizeof(msg), "The baseOffset of the record batch in the append to %.*s-%d should be 0, but it "
                 "is %" PRId64, (int)name.len, (const char *)name.ptr, pd->index, base);
        pr->error_code = FR_ERR_INVALID_RECORD;
        pr->error_message = fr_req_msg(req, msg);
        return 0;
    }
    if (fr_partlog_codec_bytes(&topic->log_cfg, pd->records.ptr, (size_t)pd->records.len) >= OFFLOAD_MIN_BYTES) {
        if (!st->offload) {
            st->offload = FR_REQ_ARRAY(req, fr_offload_part_t, st->nparts);
            st->offload_pr = FR_REQ_ARRAY(req, fr_produce_response_partition_produce_response_t *, st->nparts);
            if (!st->offload || !st->offload_pr)
                return FR_ERR_NOMEM;
        }
        st->offload[st->noffload] = (fr_offload_part_t){
            .topic = name, .partition = pd->index, .records = pd->records.ptr, .len = (size_t)pd->records.len};
        st->offload_pr[st->noffload++] = pr;
        return 0;
    }
    fr_append_info_t info;
    int rc = fr_partlog_append(p->log, pd->records.ptr, (size_t)pd->records.len, req->now_ms, &info);
    if (rc == 0 && !info.duplicate)
        fr_server_note_append(req->srv, p, &info);
    append_outcome(req, st, name, pd->index, acks, p, rc, &info, pr);
    fr_append_info_release(&info);
    return 0;
}

/* The offloaded appends are back: their outcomes join the others'. */
static void offload_collect(fr_req_t *req, produce_state_t *st) {
    for (int32_t i = 0; i < st->noffload; i++) {
        const fr_offload_part_t *part = fr_append_offload_result(st->job, (size_t)i);
        fr_slice_t name = st->offload[i].topic; /* the request's bytes, as the waits want */
        fr_partition_t *p = fr_topic_partition(fr_topics_find(&req->srv->topics, name), part->partition);
        append_outcome(req, st, name, part->partition, st->acks, p, part->rc, &part->info, st->offload_pr[i]);
    }
    fr_append_offload_release(st->job);
    st->job = NULL;
    req->deadline_ms = uv_now(req->srv->loop) + (uint64_t)st->timeout_ms;
}

static int any_refused(const fr_produce_response_t *out) {
    for (int32_t i = 0; i < out->responses_count; i++)
        for (int32_t j = 0; j < out->responses[i].partition_responses_count; j++)
            if (out->responses[i].partition_responses[j].error_code != FR_ERR_NONE)
                return 1;
    return 0;
}

static void produce_cleanup(fr_req_t *req) {
    produce_state_t *st = req->state;
    fr_append_offload_release(st->job);
    st->job = NULL;
}

/* Answers once every offloaded append is back and every waiting partition is
 * durable (or failed, or timed out). */
static int produce_retry(fr_req_t *req, int timed_out) {
    produce_state_t *st = req->state;
    if (st->job) {
        /* no deadline: every append ends, and answering before would let the
         * connection's next request overtake it */
        if (!fr_append_offload_done(st->job))
            return FR_REQ_PARKED;
        offload_collect(req, st);
    }
    if (st->acks == 0)
        return any_refused(&st->out) ? FR_REQ_CLOSE : FR_REQ_NO_RESPONSE;
    int pending = 0;
    for (int32_t i = 0; i < st->nwaits; i++) {
        flush_wait_t *w = &st->waits[i];
        if (w->end < 0)
            continue; /* settled */
        fr_partition_t *p = fr_topic_partition(fr_topics_find(&req->srv->topics, w->topic), w->partition);
        if (!p) {
            w->pr->error_code = FR_ERR_UNKNOWN_TOPIC_OR_PARTITION; /* deleted meanwhile */
        } else if (p->flushed_end >= w->end) {
            /* durable */
        } else if (p->flush_error && p->flush_error_end >= w->end) {
            /* the sync meant to cover this append failed */
            w->pr->error_code = (int16_t)p->flush_error;
        } else if (timed_out) {
            w->pr->error_code = FR_ERR_REQUEST_TIMED_OUT;
        } else {
            pending = 1;
            continue;
        }
        w->end = -1;
    }
    if (pending)
        return FR_REQ_PARKED;
    fr_produce_response_write(req->resp, req->hdr.api_version, &st->out);
    return FR_REQ_DONE;
}

/* Whether some partition's first batch, whole, says it is transactional:
 * what Kafka looks at (RequestUtils.hasTransactionalRecords; its batch
 * iterator sees no batch that is cut short) before anything else. */
static int has_transactional_batch(const fr_produce_request_t *in) {
    for (int32_t i = 0; i < in->topic_data_count; i++)
        for (int32_t j = 0; j < in->topic_data[i].partition_data_count; j++) {
            const fr_records_t *r = &in->topic_data[i].partition_data[j].records;
            if (r->len < FR_BATCH_OFF_ATTRIBUTES + 2)
                continue;
            int64_t whole = (int64_t)(int32_t)fr_be32(r->ptr + FR_BATCH_OFF_LENGTH) + FR_BATCH_LOG_OVERHEAD;
            if (whole >= FR_BATCH_HEADER_SIZE && whole <= r->len && r->ptr[FR_BATCH_OFF_MAGIC] == 2 &&
                (r->ptr[FR_BATCH_OFF_ATTRIBUTES + 1] & FR_BATCH_ATTR_TRANSACTIONAL))
                return 1;
        }
    return 0;
}

int fr_handle_produce(fr_req_t *req) {
    int16_t v = req->hdr.api_version;
    fr_produce_request_t in;
    if (fr_produce_request_read(&req->body, v, req->arena, &in))
        return FR_ERR_PARSE;
    produce_state_t *st = fr_arena_calloc(req->arena, 1, sizeof(*st));
    int32_t nparts = 0;
    for (int32_t i = 0; i < in.topic_data_count; i++)
        nparts += in.topic_data[i].partition_data_count;
    if (!st || !(st->waits = FR_REQ_ARRAY(req, flush_wait_t, nparts)))
        return FR_ERR_NOMEM;
    st->nparts = nparts;
    st->acks = in.acks;
    st->timeout_ms = in.timeout_ms > 0 ? in.timeout_ms : 30000;
    fr_produce_response_t *out = &st->out;
    fr_produce_response_init(out);
    out->responses = FR_REQ_ARRAY(req, fr_produce_response_topic_produce_response_t, in.topic_data_count);
    if (!out->responses)
        return FR_ERR_NOMEM;
    /* A partition named twice: Kafka keys the request by partition, so the
     * last copy is the one appended, and answered once. */
    int32_t nentries;
    uint8_t *dups = fr_req_mark_duplicate_partitions(
        req, in.topic_data, in.topic_data_count,
        &FR_PARTITION_LAYOUT(fr_produce_request_topic_produce_data_t, name, partition_data, partition_data_count,
                             fr_produce_request_partition_produce_data_t, index),
        1, &nentries);
    if (!dups)
        return FR_ERR_NOMEM;
    /* Kafka answers every partition with this when a transactional batch comes
     * with a transactional id it does not authorize, or with none; no id is
     * authorized while transactions are not served (find_coordinator.c). */
    int txn_refused = has_transactional_batch(&in);
    for (int32_t i = 0, k = 0; i < in.topic_data_count; i++) {
        fr_produce_request_topic_produce_data_t *td = &in.topic_data[i];
        fr_produce_response_topic_produce_response_t *tr = &out->responses[out->responses_count];
        tr->name = td->name;
        tr->partition_responses =
            FR_REQ_ARRAY(req, fr_produce_response_partition_produce_response_t, td->partition_data_count);
        if (!tr->partition_responses)
            return FR_ERR_NOMEM;
        tr->partition_responses_count = 0;
        fr_topic_t *topic = fr_topics_find(&req->srv->topics, td->name);
        for (int32_t j = 0; j < td->partition_data_count; j++, k++) {
            if (dups[k] == FR_NAME_REPEAT)
                continue;
            fr_produce_response_partition_produce_response_t *pr =
                &tr->partition_responses[tr->partition_responses_count++];
            if (txn_refused) {
                *pr = (fr_produce_response_partition_produce_response_t){
                    .index = td->partition_data[j].index, .error_code = FR_ERR_TRANSACTIONAL_ID_AUTHORIZATION_FAILED,
                    .base_offset = -1, .log_append_time_ms = -1, .log_start_offset = -1,
                    .error_message = fr_slice_from_cstr("Transactional Id authorization failed.")};
                continue;
            }
            if (append_one(req, st, td->name, topic, in.acks, &td->partition_data[j], pr))
                return FR_ERR_NOMEM;
        }
        if (tr->partition_responses_count > 0 || td->partition_data_count == 0)
            out->responses_count++; /* a topic entry of repeats only is left out */
    }
    req->state = st;
    req->retry = produce_retry;
    if (st->noffload > 0) {
        if (!(st->job = fr_append_offload_start(req->srv, st->offload, (size_t)st->noffload, req->now_ms)))
            return FR_ERR_NOMEM;
        req->cleanup = produce_cleanup;
        req->deadline_ms = UINT64_MAX;
        return produce_retry(req, 0);
    }
    if (in.acks == 0)
        return any_refused(out) ? FR_REQ_CLOSE : FR_REQ_NO_RESPONSE;
    req->deadline_ms = uv_now(req->srv->loop) + (uint64_t)st->timeout_ms;
    return produce_retry(req, 0);
}
