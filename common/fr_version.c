#include "fr_version.h"

#ifndef FRESHET_VERSION
#error "FRESHET_VERSION comes from the project's VERSION (common/CMakeLists.txt)"
#endif

const char *fr_version(void) { return FRESHET_VERSION; }
