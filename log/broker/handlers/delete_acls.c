/* DeleteAcls: with no authorizer every filter fails with SECURITY_DISABLED and
 * matches nothing, as Kafka's DeleteAclsRequest.getErrorResponse. */
#include "handlers.h"

int fr_handle_delete_acls(fr_req_t *req) {
    int16_t v = req->hdr.api_version;
    fr_delete_acls_request_t in;
    if (fr_delete_acls_request_read(&req->body, v, req->arena, &in))
        return FR_ERR_PARSE;
    fr_delete_acls_response_t out;
    fr_delete_acls_response_init(&out);
    int32_t n = in.filters_count > 0 ? in.filters_count : 0;
    out.filter_results = FR_REQ_ARRAY(req, fr_delete_acls_response_delete_acls_filter_result_t, n);
    if (n && !out.filter_results)
        return FR_ERR_NOMEM;
    fr_slice_t msg = fr_req_msg(req, "No Authorizer is configured.");
    for (int32_t i = 0; i < n; i++) {
        fr_delete_acls_response_delete_acls_filter_result_t *r = &out.filter_results[out.filter_results_count++];
        *r = (fr_delete_acls_response_delete_acls_filter_result_t){.error_code = FR_ERR_SECURITY_DISABLED,
                                                                    .error_message = msg};
    }
    fr_delete_acls_response_write(req->resp, v, &out);
    return FR_REQ_DONE;
}
