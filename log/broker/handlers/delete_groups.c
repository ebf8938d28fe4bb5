/* DeleteGroups: empty groups only (NON_EMPTY_GROUP otherwise); their offsets
 * go too.  The group "" (a simple consumer's commits) can be deleted too, as
 * Kafka's isValidGroupId allows.  A name given twice is answered once, as
 * Kafka's distinct does. */
#include "group.h"
#include "handlers.h"

int fr_handle_delete_groups(fr_req_t *req) {
    int16_t v = req->hdr.api_version;
    fr_delete_groups_request_t in;
    if (fr_delete_groups_request_read(&req->body, v, req->arena, &in))
        return FR_ERR_PARSE;
    fr_delete_groups_response_t out;
    fr_delete_groups_response_init(&out);
    out.results = FR_REQ_ARRAY(req, fr_delete_groups_response_deletable_group_result_t, in.groups_names_count);
    if (!out.results)
        return FR_ERR_NOMEM;
    uint8_t *dups = fr_req_mark_duplicate_names(req, in.groups_names, in.groups_names_count,
                                                sizeof(*in.groups_names), 0, 0);
    if (!dups)
        return FR_ERR_NOMEM;
    for (int32_t i = 0; i < in.groups_names_count; i++) {
        if (dups[i] == FR_NAME_REPEAT)
            continue;
        fr_delete_groups_response_deletable_group_result_t *r = &out.results[out.results_count++];
        r->group_id = in.groups_names[i];
        /* Kafka's validateGroupStatus: whether this broker coordinates, then the group */
        if ((r->error_code = (int16_t)fr_groups_coordinator_error(&req->srv->groups)) == 0)
            r->error_code = fr_err_to_kafka(fr_groups_delete(&req->srv->groups, in.groups_names[i]));
    }
    fr_delete_groups_response_write(req->resp, v, &out);
    return FR_REQ_DONE;
}
