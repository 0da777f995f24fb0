/* Stub: being written. */
#include "config.h"
#include "spawn.h"
