"""The C part of the package (everything else is in pyproject.toml): the batch path's passes over bytes, and on
Python 3.13+ the one function durable_rules needs that Python no longer has.

Optional: without a C compiler the package still installs, and batches run on polars alone (slower on long
files; `guangxi_subsidy.engine.native.AVAILABLE` tells, and the test suite fails if they are missing).
"""

import sys

from setuptools import Extension, setup

extensions = [
    Extension("guangxi_subsidy.engine._kernels", ["engine/_kernels.c"], extra_compile_args=["-O3", "-std=c11"],
              optional=True),
    Extension("guangxi_subsidy.engine._sheetxml", ["engine/_sheetxml.c"], extra_compile_args=["-O3", "-std=c11"],
              optional=True),
]
if sys.version_info >= (3, 13):
    # durable_rules' extension calls PyEval_CallObject, which Python 3.13 removed: this defines it (not optional,
    # since without it the rule engine cannot load; engine/_durable_compat.c says more).
    extensions.append(Extension("guangxi_subsidy.engine._durable_compat", ["engine/_durable_compat.c"]))

setup(ext_modules=extensions)
