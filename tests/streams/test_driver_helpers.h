/* Helper for the DSL tests: a built topology with a test driver on it. */
#ifndef TEST_DRIVER_HELPERS_H
#define TEST_DRIVER_HELPERS_H

#include <stdio.h>

#include "fr_test.h"
#include "freshet/streams.h"
#include "freshet/streams_test_driver.h"

/* Builds b (freed here) with cfg and opens a driver on the topology; *t gets
 * the topology.  The caller frees the driver, then *t.  Both steps are
 * checked: a failure counts as a failed check, and the driver is NULL. */
static inline fr_test_driver_t *build_driver(fr_builder_t *b, fr_streams_config_t *cfg, fr_topology_t **t) {
    char err[256] = "";
    *t = NULL;
    int rc = fr_builder_build(b, cfg, t, err, sizeof err);
    fr_builder_free(b);
    if (rc)
        fprintf(stderr, "build: %s\n", err);
    FR_CHECK_EQ_INT(rc, 0);
    fr_test_driver_t *d = NULL;
    FR_CHECK_EQ_INT(fr_test_driver_new(*t, cfg, NULL, &d, NULL, 0), 0);
    return d;
}

#endif
