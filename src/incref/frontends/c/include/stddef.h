/* incref's own minimal <stddef.h> */
#ifndef INCREF_STDDEF_H
#define INCREF_STDDEF_H
#include <stdint.h>
#define NULL ((void *)0)
#define offsetof(type, member) __builtin_offsetof(type, member)
#endif
