/*
 * freshet — the multi-command binary.  Each subcommand lives in its own file
 * (tools/cmd_<name>.c) and is listed in tools/commands.h.
 */
#include <stdio.h>
#include <string.h>

#include "commands.h"
#include "fr_logging.h"
#include "fr_version.h"

static const fr_command_t commands[] = {
#define FR_CMD_ROW_(name, fn, help) {name, fn, help},
    FR_COMMANDS(FR_CMD_ROW_)
#undef FR_CMD_ROW_
};

static void usage(FILE *out) {
    fprintf(out, "usage: freshet <command> [options]\n       freshet --version\n\ncommands:\n");
    for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
        fprintf(out, "  %-20s %s\n", commands[i].name, commands[i].help);
}

int main(int argc, char **argv) {
    fr_logging_init_from_env();
    if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
        usage(argc < 2 ? stderr : stdout);
        return argc < 2 ? 2 : 0;
    }
    if (strcmp(argv[1], "--version") == 0) {
        printf("%s\n", fr_version());
        return 0;
    }
    for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
        if (strcmp(argv[1], commands[i].name) == 0)
            return commands[i].fn(argc - 1, argv + 1);
    fprintf(stderr, "freshet: unknown command '%s'\n\n", argv[1]);
    usage(stderr);
    return 2;
}
