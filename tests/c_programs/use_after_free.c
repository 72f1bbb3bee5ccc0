/* A node handed to a thread through a pointer; the owner frees it without waiting. */
#include <pthread.h>
#include <stdlib.h>
#include <stdatomic.h>

struct node { int value; struct node *next; };
struct node *_Atomic slot;

void *reader(void *arg)
{
	struct node *n = atomic_load_explicit(&slot, memory_order_acquire);
	if (n != NULL)
		return (void *)(long)n->value;
	return NULL;
}

int main(void)
{
	pthread_t t;
	struct node *n = malloc(sizeof(struct node));
	n->value = 7;
	atomic_store_explicit(&slot, n, memory_order_release);
	pthread_create(&t, NULL, reader, NULL);
#ifdef TWICE
	free(n);
#endif
	free(n);
	return 0;
}
