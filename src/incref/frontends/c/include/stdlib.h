/* incref's own minimal <stdlib.h>: malloc/calloc/free allocate cells the checker tracks
   (use after free and double free are reported); abort() is an assertion failure. */
#ifndef INCREF_STDLIB_H
#define INCREF_STDLIB_H
#include <stddef.h>
void *malloc(size_t size);
void *calloc(size_t n, size_t size);
void free(void *ptr);
void abort(void);
void exit(int status);
#define EXIT_SUCCESS 0
#define EXIT_FAILURE 1
#endif
