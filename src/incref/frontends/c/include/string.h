/* incref's own minimal <string.h> (declarations only; calls are unsupported). */
#ifndef INCREF_STRING_H
#define INCREF_STRING_H
#include <stddef.h>
void *memset(void *s, int c, size_t n);
void *memcpy(void *dst, const void *src, size_t n);
#endif
