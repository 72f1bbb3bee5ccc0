/* Store buffering with release/acquire: 3 graphs under SC, 4 under RC11 (GenMC). */
#include <pthread.h>
#include <stdatomic.h>

atomic_int x, y;
int r1, r2;

void *one(void *arg) { atomic_store_explicit(&x, 1, memory_order_release); r1 = atomic_load_explicit(&y, memory_order_acquire); return NULL; }
void *two(void *arg) { atomic_store_explicit(&y, 1, memory_order_release); r2 = atomic_load_explicit(&x, memory_order_acquire); return NULL; }

int main(void)
{
	pthread_t a, b;
	pthread_create(&a, NULL, one, NULL);
	pthread_create(&b, NULL, two, NULL);
	return 0;
}
