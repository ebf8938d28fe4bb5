/* CreateAcls: with no authorizer every creation fails with SECURITY_DISABLED,
 * one result per creation, as Kafka's CreateAclsRequest.getErrorResponse. */
#include "handlers.h"

int fr_handle_create_acls(fr_req_t *req) {
    int16_t v = req->hdr.api_version;
    fr_create_acls_request_t in;
    if (fr_create_acls_request_read(&req->body, v, req->arena, &in))
        return FR_ERR_PARSE;
    fr_create_acls_response_t out;
    fr_create_acls_response_init(&out);
    int32_t n = in.creations_count > 0 ? in.creations_count : 0;
    out.results = FR_REQ_ARRAY(req, fr_create_acls_response_acl_creation_result_t, n);
    if (n && !out.results)
        return FR_ERR_NOMEM;
    fr_slice_t msg = fr_req_msg(req, "No Authorizer is configured.");
    for (int32_t i = 0; i < n; i++)
        out.results[out.results_count++] =
            (fr_create_acls_response_acl_creation_result_t){.error_code = FR_ERR_SECURITY_DISABLED, .error_message = msg};
    fr_create_acls_response_write(req->resp, v, &out);
    return FR_REQ_DONE;
}
