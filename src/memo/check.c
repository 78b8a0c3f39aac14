/* SPDX-License-Identifier: MIT
 * check.c: placeholder so the library links; replaced by the reader/XSD work in progress.
 */
#include "memo/doc_int.h"
