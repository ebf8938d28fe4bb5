/* SaslHandshake: Freshet serves PLAINTEXT listeners only.  Kafka answers a
 * handshake that reaches its request handlers (a PLAINTEXT listener's) with
 * ILLEGAL_SASL_STATE, so a client configured for SASL gets that error, not an
 * unsupported API. */
#include "handlers.h"

int fr_handle_sasl_handshake(fr_req_t *req) {
    int16_t v = req->hdr.api_version;
    fr_sasl_handshake_request_t in;
    if (fr_sasl_handshake_request_read(&req->body, v, req->arena, &in))
        return FR_ERR_PARSE;
    fr_sasl_handshake_response_t out;
    fr_sasl_handshake_response_init(&out);
    out.error_code = FR_ERR_ILLEGAL_SASL_STATE; /* and no mechanisms */
    fr_sasl_handshake_response_write(req->resp, v, &out);
    return FR_REQ_DONE;
}
