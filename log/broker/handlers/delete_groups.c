/* DeleteGroups: empty groups only (NON_EMPTY_GROUP otherwise); their offsets go too. */
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
    out.results_count = in.groups_names_count;
    for (int32_t i = 0; i < in.groups_names_count; i++) {
        out.results[i].group_id = in.groups_names[i];
        out.results[i].error_code = fr_err_to_kafka(fr_groups_delete(&req->srv->groups, in.groups_names[i]));
    }
    fr_delete_groups_response_write(req->resp, v, &out);
    return FR_REQ_DONE;
}
