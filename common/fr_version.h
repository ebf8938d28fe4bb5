/*
 * fr_version.h — Freshet's version, one string for every tool, the broker's
 * start-up log and `--version` (as Kafka's tools print AppInfoParser's).
 * It comes from the project's VERSION in the top CMakeLists.txt.
 */
#ifndef FR_VERSION_H
#define FR_VERSION_H

/* "MAJOR.MINOR.PATCH"; static storage, never freed. */
const char *fr_version(void);

#endif
