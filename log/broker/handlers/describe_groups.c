/*
 * DescribeGroups: state, protocol and members, as Kafka's
 * GroupMetadataManager.describeGroups: the protocol and each member's
 * metadata and assignment only while the group is Stable (mid-rebalance they
 * are the last generation's, which Kafka does not show).  Unknown groups,
 * the empty name among them, read as Dead.  A null name (INVALID_GROUP_ID),
 * or any name while the broker coordinates no group (NOT_COORDINATOR), gets
 * Kafka's EmptyGroup: no state, no protocol, no members.
 */
#include <string.h>

#include "group.h"
#include "handlers.h"

int fr_handle_describe_groups(fr_req_t *req) {
    int16_t v = req->hdr.api_version;
    fr_describe_groups_request_t in;
    if (fr_describe_groups_request_read(&req->body, v, req->arena, &in))
        return FR_ERR_PARSE;
    fr_describe_groups_response_t out;
    fr_describe_groups_response_init(&out);
    out.groups = FR_REQ_ARRAY(req, fr_describe_groups_response_described_group_t, in.groups_count);
    if (!out.groups)
        return FR_ERR_NOMEM;
    out.groups_count = in.groups_count;
    for (int32_t i = 0; i < in.groups_count; i++) {
        fr_describe_groups_response_described_group_t *d = &out.groups[i];
        fr_describe_groups_response_described_group_init(d);
        d->group_id = in.groups[i];
        fr_group_t *grp = fr_groups_find(&req->srv->groups, in.groups[i]);
        d->error_code = fr_slice_is_null(in.groups[i]) ? FR_ERR_INVALID_GROUP_ID
                                                       : (int16_t)fr_groups_coordinator_error(&req->srv->groups);
        if (d->error_code) { /* Kafka's EmptyGroup: no state, no protocol, no members */
            d->group_state = d->protocol_type = d->protocol_data = fr_slice_from_cstr("");
            continue;
        }
        d->group_state = fr_slice_from_cstr(fr_group_state_name(grp ? grp->state : FR_GROUP_DEAD));
        d->protocol_type = fr_slice_from_cstr(grp && grp->protocol_type ? grp->protocol_type : "");
        int stable = grp && grp->state == FR_GROUP_STABLE && grp->protocol_name;
        d->protocol_data = fr_slice_from_cstr(stable ? grp->protocol_name : "");
        if (d->error_code == FR_ERR_NONE) /* Kafka's answer to a group it found, or not */
            d->authorized_operations = FR_ACL_OPS_IF(in.include_authorized_operations, FR_ACL_OPS_GROUP);
        if (!grp)
            continue;
        d->members = FR_REQ_ARRAY(req, fr_describe_groups_response_described_group_member_t, grp->num_members);
        if (!d->members)
            return FR_ERR_NOMEM;
        d->members_count = grp->num_members;
        for (int32_t j = 0; j < grp->num_members; j++) {
            const fr_member_t *m = grp->members[j];
            fr_describe_groups_response_described_group_member_t *dm = &d->members[j];
            dm->member_id = fr_slice_from_cstr(m->member_id);
            dm->group_instance_id = m->group_instance_id ? fr_slice_from_cstr(m->group_instance_id) : FR_SLICE_NULL;
            dm->client_id = fr_slice_from_cstr(m->client_id ? m->client_id : "");
            dm->client_host = fr_slice_from_cstr(m->client_host ? m->client_host : "");
            dm->member_metadata = fr_slice_from_cstr("");
            dm->member_assignment = fr_slice_from_cstr("");
            if (!stable)
                continue;
            for (int32_t p = 0; p < m->num_protocols; p++)
                if (strcmp(m->protocols[p].name, grp->protocol_name) == 0)
                    dm->member_metadata = (fr_slice_t){m->protocols[p].metadata.ptr, m->protocols[p].metadata.len};
            dm->member_assignment = (fr_slice_t){m->assignment.ptr, m->assignment.len < 0 ? 0 : m->assignment.len};
        }
    }
    fr_describe_groups_response_write(req->resp, v, &out);
    return FR_REQ_DONE;
}
