/* SaslAuthenticate: on a PLAINTEXT listener, ILLEGAL_SASL_STATE in Kafka's
 * words (see sasl_handshake.c). */
#include "handlers.h"

int fr_handle_sasl_authenticate(fr_req_t *req) {
    int16_t v = req->hdr.api_version;
    fr_sasl_authenticate_request_t in;
    if (fr_sasl_authenticate_request_read(&req->body, v, req->arena, &in))
        return FR_ERR_PARSE;
    fr_sasl_authenticate_response_t out;
    fr_sasl_authenticate_response_init(&out);
    out.error_code = FR_ERR_ILLEGAL_SASL_STATE;
    out.error_message = fr_req_msg(req, "SaslAuthenticate request received after successful authentication");
    out.auth_bytes = fr_slice_from_cstr("");
    fr_sasl_authenticate_response_write(req->resp, v, &out);
    return FR_REQ_DONE;
}
