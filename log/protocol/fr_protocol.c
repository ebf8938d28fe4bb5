/*
 * fr_protocol.c — lookups in the generated API table, and the request and
 * response headers.  Declared in the generated fr_messages.h; the table
 * itself (fr_api_table) is generated from the definitions in defs/.
 */
#include "fr_messages.h"

const fr_api_info_t *fr_api_info(int16_t key) {
    for (size_t i = 0; i < fr_api_table_len; i++)
        if (fr_api_table[i].key == key)
            return &fr_api_table[i];
    return NULL;
}

int fr_api_supports(int16_t key, int16_t version) {
    const fr_api_info_t *api = fr_api_info(key);
    return api && version >= api->min_version && version <= api->max_version;
}

int fr_api_is_flexible(int16_t key, int16_t version) {
    const fr_api_info_t *api = fr_api_info(key);
    return api && api->flexible_min >= 0 && version >= api->flexible_min;
}

/* Request header v2 (flexible) adds a tag section after client_id.  We only
 * look for it in versions we serve: for anything else the broker answers
 * UNSUPPORTED_VERSION without reading further. */
static int request_header_has_tags(int16_t api_key, int16_t api_version) {
    return fr_api_supports(api_key, api_version) && fr_api_is_flexible(api_key, api_version);
}

int fr_request_header_read(fr_reader_t *r, fr_request_header_t *h) {
    fr_read_i16(r, &h->api_key);
    fr_read_i16(r, &h->api_version);
    fr_read_i32(r, &h->correlation_id);
    /* A classic nullable string even in header v2, so that any broker can
     * read the header of an ApiVersions request it does not understand. */
    fr_read_string(r, 0, 1, &h->client_id);
    if (!r->err && request_header_has_tags(h->api_key, h->api_version))
        fr_read_skip_tags(r);
    return r->err ? FR_ERR_PARSE : 0;
}

void fr_request_header_write(fr_writer_t *w, const fr_request_header_t *h) {
    fr_write_i16(w, h->api_key);
    fr_write_i16(w, h->api_version);
    fr_write_i32(w, h->correlation_id);
    fr_write_string(w, 0, h->client_id);
    if (request_header_has_tags(h->api_key, h->api_version))
        fr_write_empty_tags(w);
}

/* Response header v1 (flexible) adds a tag section, except for ApiVersions:
 * a client must be able to read that response before it knows our versions. */
static int response_header_has_tags(int16_t api_key, int16_t api_version) {
    return api_key != FR_API_API_VERSIONS && fr_api_is_flexible(api_key, api_version);
}

void fr_response_header_write(fr_writer_t *w, int16_t api_key, int16_t api_version,
                              int32_t correlation_id) {
    fr_write_i32(w, correlation_id);
    if (response_header_has_tags(api_key, api_version))
        fr_write_empty_tags(w);
}

int fr_response_header_read(fr_reader_t *r, int16_t api_key, int16_t api_version,
                            int32_t *correlation_id) {
    fr_read_i32(r, correlation_id);
    if (!r->err && response_header_has_tags(api_key, api_version))
        fr_read_skip_tags(r);
    return r->err ? FR_ERR_PARSE : 0;
}
