/* ListPartitionReassignments: a single broker never moves a replica, so no
 * reassignment is ever under way; as Kafka's controller answers, the list is
 * empty whether all topics or named ones (known or not) are asked about. */
#include "handlers.h"

int fr_handle_list_partition_reassignments(fr_req_t *req) {
    int16_t v = req->hdr.api_version;
    fr_list_partition_reassignments_request_t in;
    if (fr_list_partition_reassignments_request_read(&req->body, v, req->arena, &in))
        return FR_ERR_PARSE;
    fr_list_partition_reassignments_response_t out;
    fr_list_partition_reassignments_response_init(&out);
    out.error_message = FR_SLICE_NULL; /* and no topics */
    fr_list_partition_reassignments_response_write(req->resp, v, &out);
    return FR_REQ_DONE;
}
