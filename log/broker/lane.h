/*
 * lane.h — a queue in front of libuv's thread pool that lets at most
 * `limit` of its jobs run at once.
 *
 * Why: the pool is FIFO, has four threads, and is shared with the fsyncs
 * that durable produce requests and deletions wait for.  Work that comes in
 * bursts (a cold consumer's cache warm-ups, ListOffsets by time over
 * thousands of partitions, a big topic's files, a deleted topic's removals)
 * waits here instead, so it never stands in the pool ahead of those syncs.
 *
 * Ownership: the lane owns nothing.  A job is the caller's struct with an
 * fr_lane_job_t in it; the lane links it while it waits and hands it to the
 * job's start function when its turn comes.  Loop thread only.
 */
#ifndef FR_LANE_H
#define FR_LANE_H

#include <stddef.h>

typedef struct fr_lane fr_lane_t;
typedef struct fr_lane_job fr_lane_job_t;

/* Starts job, now off the queue: 1 if it runs, and whoever ends it calls
 * fr_lane_job_end; 0 if it already ended (done at once, failed to start, or
 * dropped), which frees its place. */
typedef int (*fr_lane_start_fn)(fr_lane_t *lane, fr_lane_job_t *job);

/* The job's own struct, of type `type`, whose member `lane_job` job is. */
#define FR_LANE_JOB_OWNER(job, type) ((type *)((char *)(job) - offsetof(type, lane_job)))

struct fr_lane_job {
    fr_lane_job_t *next;
    fr_lane_start_fn start;
};

struct fr_lane {
    fr_lane_job_t *head, *tail; /* waiting, oldest first */
    int running;
    int limit;                  /* most running at once */
    int held;                   /* while set, nothing starts (the owner clears it and pumps) */
};

void fr_lane_init(fr_lane_t *lane, int limit);
/* Queues job, to start with start(lane, job) in its turn; may start it now. */
void fr_lane_push(fr_lane_t *lane, fr_lane_job_t *job, fr_lane_start_fn start);
/* A running job ended: its place goes to the next waiting one. */
void fr_lane_job_end(fr_lane_t *lane);
/* Starts waiting jobs while places are free and the lane is not held. */
void fr_lane_pump(fr_lane_t *lane);

#endif
