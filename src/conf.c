/* Stub: being written. */
#include "config.h"
#include "conf.h"
