/*
 * group.h — the group coordinator: Kafka's classic consumer-group protocol.
 *
 * A group moves through Kafka's states:
 *   Empty --join--> PreparingRebalance --all joined or deadline--> CompletingRebalance
 *   CompletingRebalance --leader's SyncGroup--> Stable
 *   Stable/CompletingRebalance --join with new metadata, leave, expiry--> PreparingRebalance
 *   any --last member gone--> Empty;  DeleteGroups --> Dead (removed)
 * Assignment stays on the clients: the leader computes it and hands it over
 * in SyncGroup; the coordinator only stores and distributes the bytes.
 *
 * JoinGroup and SyncGroup responses wait (the requests park, see broker.h)
 * until the join phase completes or the leader syncs.  fr_groups_tick()
 * advances time: it completes join phases whose deadline passed, expires
 * members whose session timed out, and removes members that did not send
 * their SyncGroup within the rebalance timeout of a completed join phase
 * (Kafka's pending sync, KAFKA-12890).  Every state change calls
 * fr_server_wake() so parked requests look again.
 *
 * Committed offsets and group metadata are kept in memory and written to the
 * compacted internal topic __consumer_offsets (offsets_log.c) in Kafka's
 * record formats, from which fr_groups_open() reloads them.
 *
 * Ownership: the registry owns groups, members and their copied bytes.
 * Everything runs on the loop thread.
 */
#ifndef FR_GROUP_H
#define FR_GROUP_H

#include <stdint.h>

#include "fr_buf.h"

typedef struct fr_server fr_server_t;
typedef struct fr_topic fr_topic_t;

typedef enum fr_group_state {
    FR_GROUP_EMPTY,
    FR_GROUP_PREPARING_REBALANCE,
    FR_GROUP_COMPLETING_REBALANCE,
    FR_GROUP_STABLE,
    FR_GROUP_DEAD,
} fr_group_state_t;

/* Kafka's state names, as DescribeGroups and ListGroups report them. */
const char *fr_group_state_name(fr_group_state_t s);

typedef struct fr_bytes {
    uint8_t *ptr;
    int32_t len;   /* -1: null */
} fr_bytes_t;

typedef struct fr_member_protocol {
    char *name;
    fr_bytes_t metadata;
} fr_member_protocol_t;

typedef struct fr_member {
    char *member_id;
    char *group_instance_id;      /* NULL for dynamic members */
    char *client_id;
    char *client_host;
    int32_t session_timeout_ms;
    int32_t rebalance_timeout_ms;
    fr_member_protocol_t *protocols;
    int32_t num_protocols;
    fr_bytes_t assignment;        /* from the leader's SyncGroup */
    uint64_t last_heartbeat;      /* loop ms */
    int awaiting_join;            /* a JoinGroup of this member is parked */
    int awaiting_sync;            /* a SyncGroup of this member is parked */
    int pending_sync;             /* in the generation's join answer, no SyncGroup from it yet */
    int32_t joined_generation;    /* generation whose join response it may take */
} fr_member_t;

typedef struct fr_offset_entry {
    char *topic;
    int32_t partition;
    int64_t offset;
    int32_t leader_epoch;
    char *metadata;
    int64_t commit_timestamp;     /* wall ms */
    int64_t expire_timestamp;     /* wall ms, from an OffsetCommit v2-v4 retention_time_ms; -1: none */
} fr_offset_entry_t;

/* A member id handed out with MEMBER_ID_REQUIRED (KIP-394): the client has
 * its session timeout to join with it, as in Kafka. */
typedef struct fr_pending_member {
    char *id;
    uint64_t expires; /* loop ms */
} fr_pending_member_t;

typedef struct fr_group {
    char *group_id;
    fr_group_state_t state;
    int32_t generation_id;
    char *protocol_type;          /* NULL until the first member joins */
    char *protocol_name;          /* selected protocol, NULL when none */
    char *leader_id;              /* NULL when none */
    fr_member_t **members;
    int32_t num_members;
    size_t cap_members;
    fr_pending_member_t *pending; /* ids handed out with MEMBER_ID_REQUIRED, not yet joined */
    int32_t num_pending;
    size_t cap_pending;
    uint64_t join_deadline;       /* loop ms when the join phase completes at the latest */
    int initial_join;             /* the delayed first rebalance of an empty group */
    uint64_t join_limit;          /* initial_join: how far arriving members may push join_deadline
                                     (its start plus the rebalance timeout, as in Kafka) */
    int64_t empty_since_ms;       /* wall ms the group last became empty (offset retention); -1: unknown */
    char **subscribed;            /* Kafka's subscribedTopics: the topics the generation's members */
    int32_t num_subscribed;       /* subscribe to, sorted, set when the generation starts */
    int subscribed_known;         /* 0: they cannot be told (every topic counts as subscribed) */
    uint64_t sync_deadline;       /* loop ms by which every member of the generation must have synced */
    int pending_sync_ghost;       /* a static member replaced before it synced: its old id still counts
                                     as not synced, as in Kafka (the new id is not pending) */
    fr_offset_entry_t *offsets;
    int32_t num_offsets;
    size_t cap_offsets;
} fr_group_t;

typedef struct fr_groups {
    fr_server_t *srv;
    fr_group_t **items;
    size_t count, cap;
    int32_t initial_rebalance_delay_ms;   /* group.initial.rebalance.delay.ms */
    int32_t min_session_timeout_ms;       /* group.min.session.timeout.ms */
    int32_t max_session_timeout_ms;       /* group.max.session.timeout.ms */
    int32_t max_size;                     /* group.max.size */
    int64_t offsets_retention_ms;         /* offsets.retention.minutes */
    int64_t retention_check_interval_ms;  /* offsets.retention.check.interval.ms */
    int32_t offsets_partitions;           /* offsets.topic.num.partitions */
    uint64_t next_retention_check;
} fr_groups_t;

/* Reloads every group from __consumer_offsets, if it exists yet: it is made
 * when a client first looks for a group coordinator, as in Kafka. */
int fr_groups_open(fr_groups_t *g, fr_server_t *srv, char *err, size_t errlen);
void fr_groups_close(fr_groups_t *g);

fr_group_t *fr_groups_find(fr_groups_t *g, fr_slice_t group_id);
fr_group_t *fr_groups_get_or_create(fr_groups_t *g, fr_slice_t group_id);
fr_member_t *fr_group_member(const fr_group_t *grp, fr_slice_t member_id);
fr_member_t *fr_group_static_member(const fr_group_t *grp, fr_slice_t instance_id);

/* Pending member ids: add one (0 or FR_ERR_NOMEM); take one that joins or
 * leaves (1 when it was pending). */
int fr_group_pending_add(fr_group_t *grp, const char *id, uint64_t expires);
int fr_group_pending_take(fr_group_t *grp, fr_slice_t id);

/* Kafka's ClassicGroup.validateMember: with an instance id, its static member
 * must exist (UNKNOWN_MEMBER_ID) and be member_id (FENCED_INSTANCE_ID: a newer
 * incarnation took the id); without, member_id must be a member.  0 with *out
 * set, or the error. */
int16_t fr_group_validate_member(const fr_group_t *grp, fr_slice_t member_id, fr_slice_t instance_id,
                                 fr_member_t **out);

/* Drops every member (reloading metadata) / removes a group without tombstones (reloading). */
void fr_group_clear_members(fr_group_t *grp);
void fr_groups_forget(fr_groups_t *g, fr_group_t *grp);

/* Time passes: completes join phases past their deadline, expires members. */
void fr_groups_tick(fr_groups_t *g, uint64_t now);
/* The earliest time fr_groups_tick has a deadline to act on (a member's
 * session, a pending member, a join or sync phase), UINT64_MAX for none.
 * It may be one already put off (a heartbeat since): a tick then does nothing. */
uint64_t fr_groups_next_deadline(const fr_groups_t *g);

/* Moves the group to PreparingRebalance (if not already) with a join deadline. */
void fr_group_prepare_rebalance(fr_groups_t *g, fr_group_t *grp, uint64_t now, const char *reason);
/* The protocol every member supports that most members list first (Kafka's
 * selectProtocol); NULL when they share none.  Owned by the group's members. */
const char *fr_group_select_protocol(const fr_group_t *grp);
/* Completes the join phase if every member has joined or the deadline passed. */
void fr_group_maybe_complete_join(fr_groups_t *g, fr_group_t *grp, uint64_t now);
/* Removes a member (leave, expiry, fencing) and rebalances what remains. */
void fr_group_remove_member(fr_groups_t *g, fr_group_t *grp, fr_member_t *m, uint64_t now, const char *reason);
/* Stores the leader's assignments and makes the group Stable. */
void fr_group_complete_sync(fr_groups_t *g, fr_group_t *grp);
/* Deletes an empty group and its offsets (tombstones; the group's only when it had a generation).
 * NON_EMPTY_GROUP / GROUP_ID_NOT_FOUND, or the write's error with the group left Empty. */
int fr_groups_delete(fr_groups_t *g, fr_slice_t group_id);
/* Kafka's cleanupGroupMetadata test: Empty, without offsets (nor ids handed out to joiners). */
int fr_group_deletable(const fr_group_t *grp);

/* Offsets. */
fr_offset_entry_t *fr_group_offset(const fr_group_t *grp, fr_slice_t topic, int32_t partition);
/* Appends the commits to __consumer_offsets then applies them.  0 or a Kafka error for all. */
int fr_group_commit_offsets(fr_groups_t *g, fr_group_t *grp, const fr_offset_entry_t *entries, int32_t n);
/* Removes offsets (tombstones) of one topic-partition, or of a whole topic when partition < 0. */
int fr_group_delete_offsets(fr_groups_t *g, fr_group_t *grp, const char *topic, int32_t partition);
/* A topic was deleted: every group forgets its offsets.  When it is
 * __consumer_offsets itself, every group is dropped. */
void fr_groups_topic_deleted(fr_groups_t *g, const char *topic);
/* 0 when __consumer_offsets is there to write to (*out, when out is not
 * NULL, is it); otherwise starts making it (off the loop) if nobody has, and
 * answers COORDINATOR_NOT_AVAILABLE with *out NULL. */
int fr_groups_offsets_topic_ready(fr_groups_t *g, fr_topic_t **out);
/* 0 while this broker coordinates groups, that is while __consumer_offsets
 * exists; NOT_COORDINATOR before it is made and after it is deleted, which
 * Kafka's validateGroupStatus answers when the broker leads none of its
 * partitions.  The client then looks for a coordinator again, and that
 * FindCoordinator makes the topic. */
int fr_groups_coordinator_error(const fr_groups_t *g);
/* Persists group metadata (generation, members, assignments). */
int fr_group_store_metadata(fr_groups_t *g, fr_group_t *grp);

/* Does the group's consumer subscription include this topic?  As Kafka
 * answers it: never for a group without members or not of protocol type
 * "consumer"; always while its members' topics cannot be known.  The topics
 * are the ones the members subscribed to when the current generation began
 * (GroupMetadata.initNextGeneration), not what a rejoin asks for meanwhile. */
int fr_group_subscribes_to(const fr_group_t *grp, const char *topic);
/* Takes the members' subscriptions for the generation that begins (done
 * when a join phase completes, and when a group is loaded). */
void fr_group_snapshot_subscriptions(fr_group_t *grp);

/* Java's String.hashCode-based partitioning of group ids over __consumer_offsets. */
int32_t fr_groups_offsets_partition(const fr_groups_t *g, const char *group_id);

#define FR_OFFSETS_TOPIC "__consumer_offsets"

#endif
