// The call is a header-only inline function; this file makes the target a C library SwiftPM can build.
#include "system_random.h"
