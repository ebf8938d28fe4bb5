/* placeholder until the subcommand lands */
#include <stdio.h>
#include "commands.h"
int fr_cmd_consumer_groups(int argc, char **argv) { (void)argc; fprintf(stderr, "%s: not implemented yet\n", argv[0]); return 1; }
