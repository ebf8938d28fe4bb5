/* ApiVersions: the APIs and version ranges this broker serves. */
#include "handlers.h"

int fr_handle_api_versions(fr_req_t *req) {
    fr_api_versions_request_t in;
    if (fr_api_versions_request_read(&req->body, req->hdr.api_version, req->arena, &in))
        return FR_ERR_PARSE;
    size_t n;
    const fr_handler_t *hs = fr_handlers(&n);
    fr_api_versions_response_t out;
    fr_api_versions_response_init(&out);
    out.error_code = FR_ERR_NONE;
    out.api_keys = FR_REQ_ARRAY(req, fr_api_versions_response_api_version_t, n);
    if (!out.api_keys)
        return FR_ERR_NOMEM;
    out.api_keys_count = (int32_t)n;
    for (size_t i = 0; i < n; i++) {
        out.api_keys[i].api_key = hs[i].api_key;
        out.api_keys[i].min_version = hs[i].min_version;
        out.api_keys[i].max_version = hs[i].max_version;
    }
    fr_api_versions_response_write(req->resp, req->hdr.api_version, &out);
    return FR_REQ_DONE;
}
