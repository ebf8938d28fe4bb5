/*
 * internal_topics.h — the shape of the internal topics the broker creates
 * itself, as Kafka's AutoTopicCreationManager gives them: their partition
 * counts and topic configs come from broker settings, not num.partitions.
 *
 * __consumer_offsets: offsets.topic.num.partitions, compacted,
 * offsets.topic.segment.bytes, compression.type producer.
 * __transaction_state: transaction.state.log.num.partitions, compacted,
 * transaction.state.log.segment.bytes, uncompressed, no unclean election.
 * Kafka also sets min.insync.replicas from transaction.state.log.min.isr;
 * one broker is every replica, so that key keeps the default of 1 here.
 */
#ifndef FR_INTERNAL_TOPICS_H
#define FR_INTERNAL_TOPICS_H

#include <stdint.h>

#include "broker_config.h"
#include "fr_props.h"
#include "fr_buf.h"

/*
 * The shape the broker gives a topic it creates itself: for an internal topic
 * with a shape of its own, adds its configs to *o (initialised by the caller,
 * who frees it) and sets *partitions; for any other name, *partitions is
 * num.partitions and *o is left alone.  0 or FR_ERR_NOMEM.
 */
int fr_internal_topic_shape(const fr_broker_config_t *cfg, fr_slice_t name, fr_props_t *o, int32_t *partitions);

#endif
