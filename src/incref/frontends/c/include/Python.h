/* incref's own minimal <Python.h>: the object header and the refcount API of CPython
   (Include/object.h, Include/refcount.h, Include/pystate.h), reduced to what a
   refcount check needs. Py_INCREF/Py_DECREF become incref's object operations, which
   `--scheme` expands: plain = the classic build's ob_refcnt++, gil = the classic build
   with the GIL held around each, atomic, biased (3.13t/3.14t), immortal, ...
   Define Py_GIL_DISABLED for the free-threaded object layout. */
#ifndef INCREF_PYTHON_H
#define INCREF_PYTHON_H
#include <stddef.h>
#include <stdint.h>

typedef long Py_ssize_t;
typedef struct _typeobject { Py_ssize_t tp_basicsize; } PyTypeObject;

typedef struct _object {
#ifdef Py_GIL_DISABLED
	uintptr_t ob_tid;
	uint32_t ob_ref_local;
	Py_ssize_t ob_ref_shared;
#endif
	Py_ssize_t ob_refcnt;
} PyObject;

#define PyObject_HEAD PyObject ob_base;
#define _PyObject_CAST(op) ((PyObject *)(op))

void __incref_py_incref(PyObject *op);
void __incref_py_decref(PyObject *op);
void *__incref_py_alloc(Py_ssize_t size);
void _Py_Dealloc(PyObject *op);

#define Py_INCREF(op) __incref_py_incref(_PyObject_CAST(op))
#define Py_DECREF(op) __incref_py_decref(_PyObject_CAST(op))
#define Py_XINCREF(op) do { PyObject *_py_xincref_tmp = _PyObject_CAST(op); \
	if (_py_xincref_tmp != NULL) Py_INCREF(_py_xincref_tmp); } while (0)
#define Py_XDECREF(op) do { PyObject *_py_xdecref_tmp = _PyObject_CAST(op); \
	if (_py_xdecref_tmp != NULL) Py_DECREF(_py_xdecref_tmp); } while (0)
#define Py_CLEAR(op) do { PyObject *_py_clear_tmp = _PyObject_CAST(op); \
	if (_py_clear_tmp != NULL) { (op) = NULL; Py_DECREF(_py_clear_tmp); } } while (0)
#define Py_REFCNT(op) (_PyObject_CAST(op)->ob_refcnt)
#define Py_SET_REFCNT(op, n) (_PyObject_CAST(op)->ob_refcnt = (n))

static inline PyObject *Py_NewRef(PyObject *op) { Py_INCREF(op); return op; }
static inline PyObject *Py_XNewRef(PyObject *op) { Py_XINCREF(op); return op; }

#define PyObject_New(type, typeobj) ((type *)__incref_py_alloc(sizeof(type)))
#define PyObject_NEW(type, typeobj) PyObject_New(type, typeobj)

typedef enum { PyGILState_LOCKED, PyGILState_UNLOCKED } PyGILState_STATE;
PyGILState_STATE PyGILState_Ensure(void);
void PyGILState_Release(PyGILState_STATE state);
void __incref_gil_release(void);
void __incref_gil_ensure(void);
#define Py_BEGIN_ALLOW_THREADS { __incref_gil_release();
#define Py_END_ALLOW_THREADS __incref_gil_ensure(); }
#endif
