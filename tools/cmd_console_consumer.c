/* placeholder until the subcommand lands */
#include <stdio.h>
#include "commands.h"
int fr_cmd_console_consumer(int argc, char **argv) { (void)argc; fprintf(stderr, "%s: not implemented yet\n", argv[0]); return 1; }
