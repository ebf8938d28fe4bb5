/*
 * LeaveGroup: members leaving on purpose (v0-2 one member, v3+ a batch).  As
 * Kafka answers: an empty group id is INVALID_GROUP_ID; an unknown group
 * fails each member (UNKNOWN_MEMBER_ID), not the request.
 */
#include "group.h"
#include "handlers.h"

/* Kafka's handleLeaveGroup, per member: no member id names a static member
 * by its instance id; a pending id just goes (whatever instance id came with
 * it); any other must be a member, and its instance id must map to it. */
static int16_t leave_one(fr_req_t *req, fr_group_t *grp, fr_slice_t member_id, fr_slice_t instance_id) {
    if (!grp)
        return FR_ERR_UNKNOWN_MEMBER_ID;
    fr_member_t *m = NULL;
    if (member_id.len > 0 && fr_group_pending_take(grp, member_id)) {
        /* the join phase may have waited only on it (removePendingMemberAndUpdateGroup) */
        fr_group_maybe_complete_join(&req->srv->groups, grp, uv_now(req->srv->loop));
        return FR_ERR_NONE;
    }
    if (instance_id.len >= 0) {
        m = fr_group_static_member(grp, instance_id);
        if (m && member_id.len > 0 && !fr_slice_eq_cstr(member_id, m->member_id))
            return FR_ERR_FENCED_INSTANCE_ID;
    } else {
        m = fr_group_member(grp, member_id);
    }
    if (!m)
        return FR_ERR_UNKNOWN_MEMBER_ID;
    fr_group_remove_member(&req->srv->groups, grp, m, uv_now(req->srv->loop), "the consumer is leaving the group");
    return FR_ERR_NONE;
}

int fr_handle_leave_group(fr_req_t *req) {
    int16_t v = req->hdr.api_version;
    fr_leave_group_request_t in;
    if (fr_leave_group_request_read(&req->body, v, req->arena, &in))
        return FR_ERR_PARSE;
    fr_leave_group_response_t out;
    fr_leave_group_response_init(&out);
    fr_group_t *grp = fr_groups_find(&req->srv->groups, in.group_id);
    if (in.group_id.len <= 0) {
        out.error_code = FR_ERR_INVALID_GROUP_ID;
    } else if ((out.error_code = fr_groups_coordinator_error(&req->srv->groups)) != 0) {
        ; /* Kafka answers the request's error alone, without the members */
    } else if (v < 3) {
        out.error_code = leave_one(req, grp, in.member_id, FR_SLICE_NULL);
    } else {
        out.members = FR_REQ_ARRAY(req, fr_leave_group_response_member_response_t, in.members_count);
        if (!out.members)
            return FR_ERR_NOMEM;
        out.members_count = in.members_count;
        out.error_code = FR_ERR_NONE;
        for (int32_t i = 0; i < in.members_count; i++) {
            out.members[i].member_id = in.members[i].member_id;
            out.members[i].group_instance_id = in.members[i].group_instance_id;
            out.members[i].error_code = leave_one(req, grp, in.members[i].member_id, in.members[i].group_instance_id);
        }
    }
    fr_leave_group_response_write(req->resp, v, &out);
    return FR_REQ_DONE;
}
