/* ListGroups: every group, optionally filtered by state (v4+) and type (v5+).
 * Every group here is a classic one (Kafka's group type "classic"). */
#include <string.h>
#include <strings.h>

#include "group.h"
#include "handlers.h"

#define CLASSIC "classic"

/* Kafka matches a state filter trimmed (Java's String.trim: every char up to
 * ' ') and without regard to case ("stable" finds Stable groups). */
static int state_matches(fr_slice_t filter, const char *state) {
    const uint8_t *p = filter.ptr;
    int32_t len = filter.len > 0 ? filter.len : 0;
    while (len > 0 && p[0] <= ' ')
        p++, len--;
    while (len > 0 && p[len - 1] <= ' ')
        len--;
    return (size_t)len == strlen(state) && strncasecmp((const char *)p, state, (size_t)len) == 0;
}

/* Kafka's Group.GroupType.parse: the name without regard to case, not trimmed. */
static int type_filter_keeps_classic(const fr_list_groups_request_t *in) {
    if (in->types_filter_count <= 0)
        return 1;
    for (int32_t f = 0; f < in->types_filter_count; f++) {
        fr_slice_t t = in->types_filter[f];
        if (t.len == (int32_t)strlen(CLASSIC) && strncasecmp((const char *)t.ptr, CLASSIC, strlen(CLASSIC)) == 0)
            return 1;
    }
    return 0;
}

int fr_handle_list_groups(fr_req_t *req) {
    int16_t v = req->hdr.api_version;
    fr_list_groups_request_t in;
    if (fr_list_groups_request_read(&req->body, v, req->arena, &in))
        return FR_ERR_PARSE;
    fr_groups_t *g = &req->srv->groups;
    fr_list_groups_response_t out;
    fr_list_groups_response_init(&out);
    out.groups = FR_REQ_ARRAY(req, fr_list_groups_response_listed_group_t, g->count);
    if (!out.groups)
        return FR_ERR_NOMEM;
    int any_type = type_filter_keeps_classic(&in);
    for (size_t i = 0; i < g->count && any_type; i++) {
        const fr_group_t *grp = g->items[i];
        const char *state = fr_group_state_name(grp->state);
        int keep = in.states_filter_count <= 0;
        for (int32_t f = 0; f < in.states_filter_count && !keep; f++)
            keep = state_matches(in.states_filter[f], state);
        if (!keep)
            continue;
        fr_list_groups_response_listed_group_t *lg = &out.groups[out.groups_count++];
        lg->group_id = fr_slice_from_cstr(grp->group_id);
        lg->protocol_type = fr_slice_from_cstr(grp->protocol_type ? grp->protocol_type : "");
        lg->group_state = fr_slice_from_cstr(state);
        lg->group_type = fr_slice_from_cstr(CLASSIC);
    }
    fr_list_groups_response_write(req->resp, v, &out);
    return FR_REQ_DONE;
}
