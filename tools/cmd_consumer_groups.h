/*
 * The actions of `freshet consumer-groups` that live in their own files.
 * Each returns 0, or 1 once an error was reported (c->rc is set too).
 */
#ifndef FR_CMD_CONSUMER_GROUPS_H
#define FR_CMD_CONSUMER_GROUPS_H

#include "tool_groups_admin.h"

/* --describe [--offsets | --members [--verbose] | --state] (cmd_consumer_groups_describe.c) */
int cg_do_describe(cg_ctx_t *c);

/* --reset-offsets (cmd_consumer_groups_reset.c) */
int cg_do_reset(cg_ctx_t *c);

#endif
