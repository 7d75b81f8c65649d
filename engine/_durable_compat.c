/* PyEval_CallObject for durable_rules on Python 3.13 and later.

   durable_rules 2.0.28 (the release on PyPI, a source distribution) calls PyEval_CallObject(callback, arglist)
   in its C extension to run rule actions. Up to Python 3.12 that name was a macro for
   PyEval_CallObjectWithKeywords; Python 3.13 removed it, so the extension still compiles (an implicit
   declaration) but does not load: "undefined symbol: PyEval_CallObject". This module defines the function,
   with the meaning it always had (call with a tuple of positional arguments, no keywords), and is loaded with
   RTLD_GLOBAL before durable_rules is imported (engine/evaluation/callshim.py), so the dynamic loader resolves
   durable_rules' reference to it. durable_rules itself is installed from PyPI unchanged.

   setup.py builds it only on Python 3.13 and later, where the name does not exist. */

#define PY_SSIZE_T_CLEAN
#include <Python.h>

#if PY_VERSION_HEX >= 0x030D0000
__attribute__((visibility("default"))) PyObject *PyEval_CallObject(PyObject *callable, PyObject *args);

PyObject *PyEval_CallObject(PyObject *callable, PyObject *args) {
    return PyObject_CallObject(callable, args);
}
#endif

static struct PyModuleDef compat_module = {
    PyModuleDef_HEAD_INIT, "_durable_compat", "PyEval_CallObject for durable_rules on Python 3.13+.", 0, NULL,
};

PyMODINIT_FUNC PyInit__durable_compat(void) {
    return PyModule_Create(&compat_module);
}
