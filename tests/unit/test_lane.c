/* Unit tests for the thread-pool lanes (lane.c): how many jobs run at once,
 * in what order, and what holding a lane does.  The jobs here only record
 * that they started; the test ends them as the pool would. */
#include <stddef.h>

#include "fr_test.h"
#include "lane.h"

typedef struct job {
    fr_lane_job_t lane_job;
    int id;
    int ends_at_once; /* its start finishes it (as a job that could not be queued does) */
} job_t;

static int started[16], nstarted;

static int start(fr_lane_t *lane, fr_lane_job_t *lj) {
    (void)lane;
    job_t *j = (job_t *)((char *)lj - offsetof(job_t, lane_job));
    started[nstarted++] = j->id;
    return !j->ends_at_once;
}

static void reset(void) { nstarted = 0; }

FR_TEST(at_most_limit_run_and_the_rest_start_in_order) {
    fr_lane_t lane;
    job_t jobs[5];
    reset();
    fr_lane_init(&lane, 2);
    for (int i = 0; i < 5; i++) {
        jobs[i] = (job_t){.id = i};
        fr_lane_push(&lane, &jobs[i].lane_job, start);
    }
    FR_CHECK_EQ_INT(nstarted, 2);
    FR_CHECK_EQ_INT(lane.running, 2);
    fr_lane_job_end(&lane);
    FR_CHECK_EQ_INT(nstarted, 3);
    FR_CHECK_EQ_INT(started[2], 2);
    fr_lane_job_end(&lane);
    fr_lane_job_end(&lane);
    FR_CHECK_EQ_INT(nstarted, 5);
    for (int i = 0; i < 5; i++)
        FR_CHECK_EQ_INT(started[i], i);
    fr_lane_job_end(&lane);
    fr_lane_job_end(&lane);
    FR_CHECK_EQ_INT(lane.running, 0);
    FR_CHECK(lane.head == NULL && lane.tail == NULL);
}

FR_TEST(a_job_that_ends_at_once_gives_its_place_to_the_next) {
    fr_lane_t lane;
    job_t a = {.id = 1, .ends_at_once = 1}, b = {.id = 2, .ends_at_once = 1}, c = {.id = 3};
    reset();
    fr_lane_init(&lane, 1);
    fr_lane_push(&lane, &a.lane_job, start);
    fr_lane_push(&lane, &b.lane_job, start);
    fr_lane_push(&lane, &c.lane_job, start);
    FR_CHECK_EQ_INT(nstarted, 3);
    FR_CHECK_EQ_INT(lane.running, 1); /* only c still runs */
    fr_lane_job_end(&lane);
    FR_CHECK_EQ_INT(lane.running, 0);
}

FR_TEST(a_held_lane_starts_nothing_until_pumped_unheld) {
    fr_lane_t lane;
    job_t a = {.id = 1}, b = {.id = 2};
    reset();
    fr_lane_init(&lane, 1);
    lane.held = 1;
    fr_lane_push(&lane, &a.lane_job, start);
    fr_lane_push(&lane, &b.lane_job, start);
    FR_CHECK_EQ_INT(nstarted, 0);
    fr_lane_pump(&lane);
    FR_CHECK_EQ_INT(nstarted, 0);
    lane.held = 0;
    fr_lane_pump(&lane);
    FR_CHECK_EQ_INT(nstarted, 1);
    lane.held = 1; /* held while a job runs: its end starts nothing */
    fr_lane_job_end(&lane);
    FR_CHECK_EQ_INT(nstarted, 1);
    lane.held = 0;
    fr_lane_pump(&lane);
    FR_CHECK_EQ_INT(nstarted, 2);
    FR_CHECK_EQ_INT(started[1], 2);
    fr_lane_job_end(&lane);
}

FR_TEST(a_limit_below_one_is_one) {
    fr_lane_t lane;
    job_t a = {.id = 1}, b = {.id = 2};
    reset();
    fr_lane_init(&lane, 0);
    fr_lane_push(&lane, &a.lane_job, start);
    fr_lane_push(&lane, &b.lane_job, start);
    FR_CHECK_EQ_INT(nstarted, 1);
    fr_lane_job_end(&lane);
    fr_lane_job_end(&lane);
    FR_CHECK_EQ_INT(nstarted, 2);
}

int main(void) {
    FR_RUN(at_most_limit_run_and_the_rest_start_in_order);
    FR_RUN(a_job_that_ends_at_once_gives_its_place_to_the_next);
    FR_RUN(a_held_lane_starts_nothing_until_pumped_unheld);
    FR_RUN(a_limit_below_one_is_one);
    return fr_test_done();
}
