/* placeholder until written */
#include "paramio.h"
