/*
 * lane.c — a limit on how many jobs of one kind use the thread pool; see lane.h.
 */
#include "lane.h"

#include <stddef.h>

void fr_lane_init(fr_lane_t *lane, int limit) {
    *lane = (fr_lane_t){.limit = limit > 0 ? limit : 1};
}

void fr_lane_pump(fr_lane_t *lane) {
    while (!lane->held && lane->running < lane->limit && lane->head) {
        fr_lane_job_t *job = lane->head;
        lane->head = job->next;
        if (!lane->head)
            lane->tail = NULL;
        job->next = NULL;
        lane->running++; /* counted before it starts: a start that ends it at once gives the place back */
        if (!job->start(lane, job))
            lane->running--;
    }
}

void fr_lane_push(fr_lane_t *lane, fr_lane_job_t *job, fr_lane_start_fn start) {
    job->next = NULL;
    job->start = start;
    if (lane->tail)
        lane->tail->next = job;
    else
        lane->head = job;
    lane->tail = job;
    fr_lane_pump(lane);
}

void fr_lane_job_end(fr_lane_t *lane) {
    lane->running--;
    fr_lane_pump(lane);
}
