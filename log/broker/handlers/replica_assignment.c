/*
 * Manual replica assignments (CreateTopics, CreatePartitions) on a one-broker
 * cluster: Kafka's checks (ReplicationControlManager's
 * validateManualPartitionAssignment) with its messages, which here allow
 * only a list naming this broker once.
 */
#include <stdio.h>

#include "handlers.h"

int fr_req_check_replicas(const int32_t *ids, int32_t n, int32_t broker_id, char *err, size_t errlen) {
    if (n <= 0) {
        snprintf(err, errlen, "The manual partition assignment includes an empty replica list.");
        return FR_ERR_INVALID_REPLICA_ASSIGNMENT;
    }
    /* Kafka walks the ids sorted and stops at the first that is not a
     * registered broker or repeats the one before it */
    int32_t lowest = ids[0], ours = 0;
    for (int32_t i = 0; i < n; i++) {
        lowest = ids[i] < lowest ? ids[i] : lowest;
        ours += ids[i] == broker_id;
    }
    int32_t unknown = lowest;
    if (lowest == broker_id) {
        if (n == 1)
            return 0;
        if (ours > 1) {
            snprintf(err, errlen, "The manual partition assignment includes the broker %d more than once.", broker_id);
            return FR_ERR_INVALID_REPLICA_ASSIGNMENT;
        }
        int found = 0; /* the next id up */
        for (int32_t i = 0; i < n; i++)
            if (ids[i] != broker_id && (!found || ids[i] < unknown))
                unknown = ids[i], found = 1;
    }
    snprintf(err, errlen, "The manual partition assignment includes broker %d, but no such broker is registered.",
             unknown);
    return FR_ERR_INVALID_REPLICA_ASSIGNMENT;
}
