/* incref's own minimal <assert.h>: a failed assert is the violation `assertion`. */
#ifndef INCREF_ASSERT_H
#define INCREF_ASSERT_H
#ifdef NDEBUG
#define assert(e) ((void)0)
#else
void __incref_assert(int cond);
#define assert(e) __incref_assert(!!(e))
#endif
#endif
