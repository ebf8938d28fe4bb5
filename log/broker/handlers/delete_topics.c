/*
 * DeleteTopics: by name (v0-5) or by name or id (v6).
 *
 * A topic whose new partitions are being made (CreatePartitions) is deleted
 * once they are: the request parks until then, up to its timeout_ms, after
 * which that topic is answered REQUEST_TIMED_OUT and kept.
 *
 * A deletion is answered once it is on disk: the request parks again until
 * the log dirs' sync asked for after its renames is back (topic_delete.c).
 * If that sync fails, the deleted topics are answered KAFKA_STORAGE_ERROR;
 * if timeout_ms passes first, REQUEST_TIMED_OUT (they stay deleted either
 * way, as far as this broker is concerned, and a retry finds them gone).
 * With timeout_ms <= 0 the answer does not wait, as CreateTopics'.
 */
#include <string.h>

#include "handlers.h"

typedef struct delete_topics_state {
    fr_delete_topics_request_t in;
    fr_delete_topics_response_t out;
    int deleted;          /* the deletions were made; what is left is their sync */
    uint64_t sync_ticket; /* the sync that makes them durable (0: none deleted) */
} delete_topics_state_t;

/* The topic entry i names, or NULL; v6 entries by id get their name filled in. */
static fr_topic_t *lookup(fr_req_t *req, delete_topics_state_t *st, int32_t i) {
    fr_server_t *srv = req->srv;
    fr_delete_topics_response_deletable_topic_result_t *r = &st->out.responses[i];
    if (req->hdr.api_version < 6)
        return fr_topics_find(&srv->topics, st->in.topic_names[i]);
    if (!fr_slice_is_null(st->in.topics[i].name))
        return fr_topics_find(&srv->topics, st->in.topics[i].name);
    for (size_t j = 0; j < srv->topics.count; j++)
        if (memcmp(srv->topics.items[j]->id, st->in.topics[i].topic_id, 16) == 0) {
            r->name = fr_req_msg(req, srv->topics.items[j]->name);
            return srv->topics.items[j];
        }
    return NULL;
}

/* Deletes what can be deleted, once no named topic is still growing. */
static int delete_now(fr_req_t *req, delete_topics_state_t *st, int timed_out) {
    fr_server_t *srv = req->srv;
    int any_deleted = 0;
    if (!timed_out && srv->cfg->delete_topic_enable)
        for (int32_t i = 0; i < st->out.responses_count; i++) {
            fr_topic_t *topic = lookup(req, st, i);
            if (topic && topic->growths)
                return FR_REQ_PARKED;
        }
    for (int32_t i = 0; i < st->out.responses_count; i++) {
        fr_delete_topics_response_deletable_topic_result_t *r = &st->out.responses[i];
        int v6_by_id = req->hdr.api_version >= 6 && fr_slice_is_null(st->in.topics[i].name);
        fr_topic_t *topic = lookup(req, st, i);
        if (topic)
            memcpy(r->topic_id, topic->id, 16);
        if (!srv->cfg->delete_topic_enable)
            r->error_code = FR_ERR_TOPIC_DELETION_DISABLED;
        else if (!topic)
            r->error_code = v6_by_id ? FR_ERR_UNKNOWN_TOPIC_ID : FR_ERR_UNKNOWN_TOPIC_OR_PARTITION;
        else
            r->error_code = fr_err_to_kafka(fr_server_delete_topic(srv, topic));
        if (r->error_code == FR_ERR_REQUEST_TIMED_OUT)
            r->error_message = fr_req_msg(req, "Timed out waiting for the topic's new partitions; it was not deleted.");
        any_deleted |= r->error_code == FR_ERR_NONE;
    }
    if (any_deleted) /* one sync for the whole request */
        st->sync_ticket = fr_dir_sync_request(srv);
    st->deleted = 1;
    return FR_REQ_DONE;
}

/* The deleted topics' answer once their sync is back (or will not be waited for). */
static void answer_deleted(fr_req_t *req, delete_topics_state_t *st, int16_t code, const char *why) {
    for (int32_t i = 0; i < st->out.responses_count; i++) {
        fr_delete_topics_response_deletable_topic_result_t *r = &st->out.responses[i];
        if (r->error_code == 0) {
            r->error_code = code;
            r->error_message = fr_req_msg(req, why);
        }
    }
}

static int delete_topics_retry(fr_req_t *req, int timed_out) {
    delete_topics_state_t *st = req->state;
    if (!st->deleted && delete_now(req, st, timed_out) == FR_REQ_PARKED)
        return FR_REQ_PARKED;
    int sync = st->sync_ticket && st->in.timeout_ms > 0 ? fr_dir_sync_state(req->srv, st->sync_ticket) : 0;
    if (sync == 1 && !timed_out)
        return FR_REQ_PARKED;
    if (sync == 1)
        answer_deleted(req, st, FR_ERR_REQUEST_TIMED_OUT,
                       "The topic was deleted, but the deletion was not yet on disk when the timeout passed.");
    else if (sync)
        answer_deleted(req, st, FR_ERR_KAFKA_STORAGE_ERROR,
                       "The topic was deleted, but syncing the log directory failed: the deletion may not "
                       "survive a crash.");
    fr_delete_topics_response_write(req->resp, req->hdr.api_version, &st->out);
    return FR_REQ_DONE;
}

int fr_handle_delete_topics(fr_req_t *req) {
    int16_t v = req->hdr.api_version;
    delete_topics_state_t *st = fr_arena_calloc(req->arena, 1, sizeof(*st));
    if (!st)
        return FR_ERR_NOMEM;
    if (fr_delete_topics_request_read(&req->body, v, req->arena, &st->in))
        return FR_ERR_PARSE;
    int32_t n = v >= 6 ? st->in.topics_count : st->in.topic_names_count;
    fr_delete_topics_response_init(&st->out);
    st->out.responses = FR_REQ_ARRAY(req, fr_delete_topics_response_deletable_topic_result_t, n);
    if (!st->out.responses)
        return FR_ERR_NOMEM;
    st->out.responses_count = n < 0 ? 0 : n;
    for (int32_t i = 0; i < st->out.responses_count; i++) {
        fr_delete_topics_response_deletable_topic_result_t *r = &st->out.responses[i];
        r->error_message = FR_SLICE_NULL;
        if (v >= 6) {
            r->name = st->in.topics[i].name;
            memcpy(r->topic_id, st->in.topics[i].topic_id, 16);
        } else {
            r->name = st->in.topic_names[i];
        }
    }
    req->state = st;
    req->retry = delete_topics_retry;
    req->deadline_ms = uv_now(req->srv->loop) + (uint64_t)(st->in.timeout_ms > 0 ? st->in.timeout_ms : 0);
    return delete_topics_retry(req, 0);
}
