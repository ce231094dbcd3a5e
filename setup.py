"""Ships the top-level ``conf/`` and ``corpora/`` folders inside the wheel as ``bench.conf`` and
``bench.corpora``; everything else about the package is in pyproject.toml."""

from setuptools import find_packages, setup

setup(
    packages=[*find_packages(include=["bench", "bench.*"]), "bench.conf", "bench.corpora"],
    package_dir={"bench.conf": "conf", "bench.corpora": "corpora"},
)
