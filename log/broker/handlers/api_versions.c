/*
 * ApiVersions: the APIs and version ranges this broker serves.  From v3 the
 * client's software name and version must be Kafka's pattern (alphanumerics,
 * '-' and '.' inside): else INVALID_REQUEST and no list, as Kafka's
 * ApiVersionsRequest.isValid.  (A version this broker does not know is
 * answered by the connection, conn.c.)
 */
#include <ctype.h>

#include "handlers.h"

/* [a-zA-Z0-9](?:[a-zA-Z0-9\-.]*[a-zA-Z0-9])? */
static int software_name_ok(fr_slice_t s) {
    if (s.len <= 0 || !isalnum(s.ptr[0]) || !isalnum(s.ptr[s.len - 1]))
        return 0;
    for (int32_t i = 1; i < s.len - 1; i++)
        if (!isalnum(s.ptr[i]) && s.ptr[i] != '-' && s.ptr[i] != '.')
            return 0;
    return 1;
}

int fr_handle_api_versions(fr_req_t *req) {
    fr_api_versions_request_t in;
    if (fr_api_versions_request_read(&req->body, req->hdr.api_version, req->arena, &in))
        return FR_ERR_PARSE;
    size_t n;
    const fr_handler_t *hs = fr_handlers(&n);
    fr_api_versions_response_t out;
    fr_api_versions_response_init(&out);
    out.error_code = FR_ERR_NONE;
    if (req->hdr.api_version >= 3 &&
        (!software_name_ok(in.client_software_name) || !software_name_ok(in.client_software_version))) {
        out.error_code = FR_ERR_INVALID_REQUEST;
        fr_api_versions_response_write(req->resp, req->hdr.api_version, &out);
        return FR_REQ_DONE;
    }
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
