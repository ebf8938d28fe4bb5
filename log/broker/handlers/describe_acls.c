/* DescribeAcls: Freshet has no authorizer, so, as Kafka's AclApis answers
 * without one, the whole request is SECURITY_DISABLED.  Admin tools take that
 * to mean "no ACLs here", where an unadvertised API would be an error. */
#include "handlers.h"

int fr_handle_describe_acls(fr_req_t *req) {
    int16_t v = req->hdr.api_version;
    fr_describe_acls_request_t in;
    if (fr_describe_acls_request_read(&req->body, v, req->arena, &in))
        return FR_ERR_PARSE;
    fr_describe_acls_response_t out;
    fr_describe_acls_response_init(&out);
    out.error_code = FR_ERR_SECURITY_DISABLED;
    out.error_message = fr_req_msg(req, "No Authorizer is configured on the broker");
    fr_describe_acls_response_write(req->resp, v, &out);
    return FR_REQ_DONE;
}
