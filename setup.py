"""The C part of the package (everything else is in pyproject.toml): the batch path's passes over bytes, and on
Python 3.13+ the one function durable_rules needs that Python no longer has.

Optional: without a C compiler the package still installs, and batches run on polars alone (slower on long
files; `guangxi_subsidy.engine.native.AVAILABLE` tells, and the test suite fails if they are missing). Also the
program's start-up line (cli/start.pth), placed beside the package.
"""

import os
import sys

from setuptools import Extension, setup
from setuptools.command.build_py import build_py

START_PTH = "00-guangxi-subsidy-start.pth"  # cli/start.pth: a Ctrl-C at start-up is `interrupted`, exit 130


class BuildPy(build_py):
    """The package, and the program's start-up line (cli/start.pth) at the top of the installation."""

    def run(self) -> None:
        super().run()
        if not getattr(self, "editable_mode", False):  # (an editable install: the Makefile copies it)
            self.copy_file(os.path.join("cli", "start.pth"), os.path.join(self.build_lib, START_PTH))


# The batch path's passes: one module, its C split by job (engine/_kernels.c says which file does what).
KERNELS = ["engine/_kernels.c"] + [f"engine/kernels/{name}.c" for name in ("lines", "scan", "write", "seen", "tally")]
KERNEL_HEADERS = [f"engine/kernels/{name}.h" for name in ("kernels", "cells", "split")]

extensions = [
    Extension("guangxi_subsidy.engine._kernels", KERNELS, depends=KERNEL_HEADERS,
              extra_compile_args=["-O3", "-std=c11"], optional=True),
    Extension("guangxi_subsidy.engine._sheetxml", ["engine/_sheetxml.c"], extra_compile_args=["-O3", "-std=c11"],
              optional=True),
]
if sys.version_info >= (3, 13):
    # durable_rules' extension calls PyEval_CallObject, which Python 3.13 removed: this defines it (not optional,
    # since without it the rule engine cannot load; engine/_durable_compat.c says more).
    extensions.append(Extension("guangxi_subsidy.engine._durable_compat", ["engine/_durable_compat.c"]))

setup(ext_modules=extensions, cmdclass={"build_py": BuildPy})
