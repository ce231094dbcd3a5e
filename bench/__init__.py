"""newsbias-bench: benchmark harness for loaded language, unverified sources and sentiment in news."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("newsbias-bench")
except PackageNotFoundError:  # running from a source tree that is not installed
    __version__ = "0.0.0+unknown"
