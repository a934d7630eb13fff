// The bundle headers compile as C++ too (extern "C"), and several of them
// in one file: their shared declarations are guarded. Built, never run.
#include "elementwise.h"
#include "products.h"
#include "qlinear.h"

static_assert(large_INPUT0_ELEMENTS == 256 * 512, "large's input shape");
static_assert(qmlp_OUTPUT1_TYPE == QJIT_UINT8, "qmlp's second output");

int (*const bundleEntries[])(const void *const *, void *const *, void *) = {
    small, large, dense, dense64, conv, qmlp};
