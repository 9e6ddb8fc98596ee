"""Puts the extension CMake built into the package (metadata: pyproject.toml).

The extension comes from ATF_SQLITE_EXTENSION when set, else from the
repository's build/atf.so; the wheel is marked platform-specific, since it
carries a shared object.
"""
import os
import shutil

from setuptools import setup
from setuptools.command.build_py import build_py
from setuptools.dist import Distribution

HERE = os.path.dirname(os.path.abspath(__file__))


def extension_path():
    path = os.environ.get("ATF_SQLITE_EXTENSION") or os.path.join(
        HERE, os.pardir, "build", "atf.so")
    if not os.path.isfile(path):
        raise SystemExit(
            "atf_sqlite: no extension at %s: build it first (scripts/build, "
            "or cmake --build build), or set ATF_SQLITE_EXTENSION to an atf.so"
            % os.path.normpath(path))
    return path


class BuildPyWithExtension(build_py):
    def run(self):
        super().run()
        target = os.path.join(self.build_lib, "atf_sqlite", "atf.so")
        shutil.copyfile(extension_path(), target)


class BinaryDistribution(Distribution):
    def has_ext_modules(self):
        return True


setup(cmdclass={"build_py": BuildPyWithExtension},
      distclass=BinaryDistribution)
