/* Heartbeat: keeps a member's session alive and tells it when to rejoin. */
#include "group.h"
#include "handlers.h"

int fr_handle_heartbeat(fr_req_t *req) {
    fr_heartbeat_request_t in;
    if (fr_heartbeat_request_read(&req->body, req->hdr.api_version, req->arena, &in))
        return FR_ERR_PARSE;
    fr_heartbeat_response_t out;
    fr_heartbeat_response_init(&out);
    fr_group_t *grp = fr_groups_find(&req->srv->groups, in.group_id);
    fr_member_t *m = NULL;
    if (in.group_id.len <= 0)
        out.error_code = FR_ERR_INVALID_GROUP_ID;
    else if ((out.error_code = fr_groups_coordinator_error(&req->srv->groups)) != 0)
        ;
    else if (!grp)
        out.error_code = FR_ERR_UNKNOWN_MEMBER_ID;
    else if ((out.error_code = fr_group_validate_member(grp, in.member_id, in.group_instance_id, &m)) != 0)
        ; /* unknown, or fenced by a newer incarnation of its instance id */
    else if (in.generation_id != grp->generation_id)
        out.error_code = FR_ERR_ILLEGAL_GENERATION;
    else {
        m->last_heartbeat = uv_now(req->srv->loop);
        out.error_code = grp->state == FR_GROUP_PREPARING_REBALANCE ? FR_ERR_REBALANCE_IN_PROGRESS : FR_ERR_NONE;
    }
    fr_heartbeat_response_write(req->resp, req->hdr.api_version, &out);
    return FR_REQ_DONE;
}
