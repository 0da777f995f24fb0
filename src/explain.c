/* Stub: being written. */
#include "config.h"
#include "explain.h"
