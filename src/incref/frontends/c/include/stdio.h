/* incref's own minimal <stdio.h>: output has no effect on memory; printf is skipped. */
#ifndef INCREF_STDIO_H
#define INCREF_STDIO_H
#include <stddef.h>
int printf(const char *format, ...);
int fprintf(void *stream, const char *format, ...);
int puts(const char *s);
#define stdout ((void *)0)
#define stderr ((void *)0)
#endif
