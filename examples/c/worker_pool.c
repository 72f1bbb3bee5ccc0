/* A C extension's worker pool: two worker threads share one Python object and each
   takes and drops references to it, as a C extension's threads would with a shared
   callable or buffer. Build with -DUSE_GIL for the version that holds the GIL around
   its Python API calls (PyGILState_Ensure/Release), as the C API requires in the
   classic build.

     incref check examples/c/worker_pool.c --scheme plain --model tso    # lost update
     incref check examples/c/worker_pool.c --scheme gil --set USE_GIL=1  # safe
     incref check examples/c/worker_pool.c --scheme atomic               # safe
     incref check examples/c/worker_pool.c --scheme biased --model armv8 # checked
*/
#include <Python.h>
#include <pthread.h>
#include <assert.h>

#define WORKERS 2

static PyObject *shared;

static void *worker(void *arg)
{
#ifdef USE_GIL
	PyGILState_STATE gstate = PyGILState_Ensure();
#endif
	PyObject *task = Py_NewRef(shared);   /* take a reference for this task */
	Py_DECREF(task);                      /* task done: drop it */
#ifdef USE_GIL
	PyGILState_Release(gstate);
#endif
	return NULL;
}

int main(void)
{
	pthread_t pool[WORKERS];
	shared = PyObject_New(PyObject, NULL);
	for (int i = 0; i < WORKERS; i++)
		pthread_create(&pool[i], NULL, worker, NULL);
	for (int i = 0; i < WORKERS; i++)
		pthread_join(pool[i], NULL);
	Py_DECREF(shared);                    /* the last reference: the object is freed */
	return 0;
}
