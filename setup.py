"""The C part of the package (everything else is in pyproject.toml): the batch path's passes over bytes.

Optional: without a C compiler the package still installs, and batches run on polars alone (slower on long
files; `guangxi_subsidy.engine.native.AVAILABLE` tells, and the test suite fails if they are missing).
"""

from setuptools import Extension, setup

setup(
    ext_modules=[
        Extension("guangxi_subsidy.engine._kernels", ["engine/_kernels.c"], extra_compile_args=["-O3", "-std=c11"],
                  optional=True),
    ],
)
