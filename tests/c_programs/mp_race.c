/* Message passing with a relaxed flag: the plain read of data races with its write. */
#include <pthread.h>
#include <stdatomic.h>

int data;
atomic_int flag;

void *writer(void *arg) { data = 42; atomic_store_explicit(&flag, 1, memory_order_relaxed); return NULL; }
void *reader(void *arg)
{
	while (!atomic_load_explicit(&flag, memory_order_relaxed))
		;
	int r = data;
	return NULL;
}

int main(void)
{
	pthread_t a, b;
	pthread_create(&a, NULL, writer, NULL);
	pthread_create(&b, NULL, reader, NULL);
	return 0;
}
