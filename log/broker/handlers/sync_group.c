/*
 * SyncGroup: the second phase.  The leader sends every member's assignment;
 * the others wait (park) for it.  Assignments are opaque bytes to the broker.
 */
#include <stdlib.h>
#include <string.h>

#include "group.h"
#include "handlers.h"

typedef struct sync_state {
    fr_sync_group_request_t in;
} sync_state_t;

static int write_sync(fr_req_t *req, int16_t err, const fr_group_t *grp, const fr_member_t *m) {
    fr_sync_group_response_t out;
    fr_sync_group_response_init(&out);
    out.error_code = err;
    out.assignment = fr_slice_from_cstr("");
    if (!err && grp && m) {
        out.protocol_type = fr_slice_from_cstr(grp->protocol_type);
        out.protocol_name = fr_slice_from_cstr(grp->protocol_name);
        out.assignment = (fr_slice_t){m->assignment.ptr, m->assignment.len < 0 ? 0 : m->assignment.len};
    }
    fr_sync_group_response_write(req->resp, req->hdr.api_version, &out);
    return FR_REQ_DONE;
}

/* Common checks; returns the member or sets *err. */
static fr_member_t *sync_member(fr_req_t *req, fr_sync_group_request_t *in, fr_group_t **grpp, int16_t *err) {
    fr_group_t *grp = fr_groups_find(&req->srv->groups, in->group_id);
    *grpp = grp;
    fr_member_t *m = NULL;
    /* from v5 both are required (Kafka's areMandatoryProtocolTypeAndNamePresent), checked by
     * KafkaApis before the coordinator's own checks */
    if (req->hdr.api_version >= 5 && (fr_slice_is_null(in->protocol_type) || fr_slice_is_null(in->protocol_name))) {
        *err = FR_ERR_INCONSISTENT_GROUP_PROTOCOL;
        return NULL;
    }
    if (in->group_id.len <= 0) {
        *err = FR_ERR_INVALID_GROUP_ID;
        return NULL;
    }
    if ((*err = fr_groups_coordinator_error(&req->srv->groups)) != 0)
        return NULL;
    if (!grp) {
        *err = FR_ERR_UNKNOWN_MEMBER_ID;
        return NULL;
    }
    if ((*err = fr_group_validate_member(grp, in->member_id, in->group_instance_id, &m)) != 0)
        return NULL;
    if (in->generation_id != grp->generation_id) {
        *err = FR_ERR_ILLEGAL_GENERATION;
        return NULL;
    }
    if ((in->protocol_type.len >= 0 && grp->protocol_type && !fr_slice_eq_cstr(in->protocol_type, grp->protocol_type)) ||
        (in->protocol_name.len >= 0 && grp->protocol_name && !fr_slice_eq_cstr(in->protocol_name, grp->protocol_name))) {
        *err = FR_ERR_INCONSISTENT_GROUP_PROTOCOL;
        return NULL;
    }
    if (grp->state == FR_GROUP_PREPARING_REBALANCE || grp->state == FR_GROUP_EMPTY) {
        *err = FR_ERR_REBALANCE_IN_PROGRESS;
        return NULL;
    }
    *err = 0;
    return m;
}

static int sync_retry(fr_req_t *req, int timed_out) {
    sync_state_t *st = req->state;
    fr_group_t *grp;
    int16_t err;
    fr_member_t *m = sync_member(req, &st->in, &grp, &err);
    if (m && grp->state != FR_GROUP_STABLE && !timed_out)
        return FR_REQ_PARKED;
    /* answered: the member, if it is still one, waits no more (its session counts again) */
    fr_group_t *g = fr_groups_find(&req->srv->groups, st->in.group_id);
    fr_member_t *me = g ? fr_group_member(g, st->in.member_id) : NULL;
    if (me)
        me->awaiting_sync = 0;
    if (!m)
        return write_sync(req, err, NULL, NULL);
    if (grp->state == FR_GROUP_STABLE)
        return write_sync(req, FR_ERR_NONE, grp, m);
    return write_sync(req, FR_ERR_REBALANCE_IN_PROGRESS, NULL, NULL);
}

int fr_handle_sync_group(fr_req_t *req) {
    sync_state_t *st = fr_arena_calloc(req->arena, 1, sizeof(*st));
    if (!st)
        return FR_ERR_NOMEM;
    if (fr_sync_group_request_read(&req->body, req->hdr.api_version, req->arena, &st->in))
        return FR_ERR_PARSE;
    req->state = st;
    fr_group_t *grp;
    int16_t err;
    fr_member_t *m = sync_member(req, &st->in, &grp, &err);
    if (!m)
        return write_sync(req, err, NULL, NULL);
    m->pending_sync = 0; /* a valid SyncGroup for this generation: it owes none (group.h) */
    if (grp->state == FR_GROUP_STABLE)
        return write_sync(req, FR_ERR_NONE, grp, m);
    /* CompletingRebalance */
    if (grp->leader_id && strcmp(grp->leader_id, m->member_id) == 0) {
        for (int32_t i = 0; i < st->in.assignments_count; i++) {
            fr_member_t *o = fr_group_member(grp, st->in.assignments[i].member_id);
            if (!o)
                continue;
            fr_slice_t a = st->in.assignments[i].assignment;
            int32_t len = a.len < 0 ? 0 : a.len;
            uint8_t *copy = malloc((size_t)len + 1);
            if (!copy)
                return FR_ERR_NOMEM;
            if (len)
                memcpy(copy, a.ptr, (size_t)len);
            free(o->assignment.ptr);
            o->assignment = (fr_bytes_t){copy, len};
        }
        fr_group_complete_sync(&req->srv->groups, grp);
        return write_sync(req, FR_ERR_NONE, grp, m);
    }
    m->awaiting_sync = 1;
    req->retry = sync_retry;
    req->deadline_ms = uv_now(req->srv->loop) + (uint64_t)(m->rebalance_timeout_ms > 0 ? m->rebalance_timeout_ms : 30000);
    return FR_REQ_PARKED;
}
