#include "internal_topics.h"

#include <stdio.h>

#include "fr_err.h"

int fr_internal_topic_shape(const fr_broker_config_t *cfg, fr_slice_t name, fr_props_t *o, int32_t *partitions) {
    char segment[16];
    *partitions = cfg->num_partitions;
    if (fr_slice_eq_cstr(name, "__consumer_offsets")) {
        snprintf(segment, sizeof(segment), "%d", cfg->offsets_topic_segment_bytes);
        if (fr_props_set(o, "cleanup.policy", "compact") || fr_props_set(o, "segment.bytes", segment) ||
            fr_props_set(o, "compression.type", "producer"))
            return FR_ERR_NOMEM;
        *partitions = cfg->offsets_topic_num_partitions;
    } else if (fr_slice_eq_cstr(name, "__transaction_state")) {
        snprintf(segment, sizeof(segment), "%d", cfg->txn_state_segment_bytes);
        if (fr_props_set(o, "cleanup.policy", "compact") || fr_props_set(o, "segment.bytes", segment) ||
            fr_props_set(o, "compression.type", "uncompressed") ||
            fr_props_set(o, "unclean.leader.election.enable", "false"))
            return FR_ERR_NOMEM;
        *partitions = cfg->txn_state_num_partitions;
    }
    return 0;
}
