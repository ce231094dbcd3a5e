"""Building an object from a config that names its class with ``_target_`` (tasks, scorers)."""

from __future__ import annotations

from typing import Any, TypeVar

from hydra.utils import instantiate

from bench.errors import BenchError, ConfigError

T = TypeVar("T")


def _bench_cause(exc: BaseException) -> BenchError | None:
    """The first :class:`BenchError` in an exception's chain of causes."""
    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, BenchError):
            return seen
        seen = seen.__cause__ or seen.__context__
    return None


def instantiate_target(params: dict[str, Any], expected: type[T], what: str, key: str) -> T:
    """``params['_target_'](**params)``, as an ``expected`` instance.

    A :class:`BenchError` raised by the constructor (a bad model folder, a bad setting) passes
    through as it is; Hydra's import and argument errors become one :class:`ConfigError` line naming
    the config key of the class (``key``, e.g. ``model._target_``) and ``what`` (e.g. ``model 'minilm'``).
    """
    target = params.get("_target_")
    if not target:
        raise ConfigError(f"{key}=null: {what} names no class to build")
    try:
        built = instantiate(params, _convert_="all")
    except Exception as exc:  # Hydra wraps import and argument errors in its own exception types
        cause = _bench_cause(exc)
        if cause is not None:
            raise cause from None
        lines = [line.strip() for line in str(exc).splitlines() if line.strip()]
        raise ConfigError(f"{key}={target}: {what} could not be built: "
                          f"{lines[-1] if lines else type(exc).__name__}") from None
    if not isinstance(built, expected):
        raise ConfigError(f"{key}={target}: {what} is not a {expected.__name__}")
    return built
