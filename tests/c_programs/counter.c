/* N threads increment a counter; main checks the total after joining them. With
   ATOMIC the increment is a fetch_add and the assertion holds. */
#include <pthread.h>
#include <stdatomic.h>
#include <assert.h>

#ifndef N
#define N 2
#endif

#ifdef ATOMIC
atomic_int count;
#else
int count;
#endif

void *inc(void *arg) { count++; return NULL; }

int main(void)
{
	pthread_t t[N];
	for (int i = 0; i < N; i++)
		pthread_create(&t[i], NULL, inc, NULL);
	for (int i = 0; i < N; i++)
		pthread_join(t[i], NULL);
	assert(count == N);
	return 0;
}
