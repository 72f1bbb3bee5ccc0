/* A compare-exchange retry loop: with two threads each CAS fails at most once, so an
   unroll bound of 2 covers every execution and a bound of 1 cuts some. */
#include <pthread.h>
#include <stdatomic.h>
#include <assert.h>

atomic_int top;

void *push(void *arg)
{
	int old = atomic_load_explicit(&top, memory_order_relaxed);
	while (!atomic_compare_exchange_strong_explicit(&top, &old, old + 1, memory_order_acq_rel, memory_order_relaxed))
		;
	return NULL;
}

int main(void)
{
	pthread_t a, b;
	pthread_create(&a, NULL, push, NULL);
	pthread_create(&b, NULL, push, NULL);
	pthread_join(a, NULL);
	pthread_join(b, NULL);
	assert(atomic_load(&top) == 2);
	return 0;
}
