"""Small value rules ("an integer ≥ 1", "null or one of ...") and one-line errors that name the key.

A rule is a predicate with the text of what it allows; :func:`check` applies a table of rules
to a config and raises :class:`bench.errors.ConfigError` on the first value that breaks one:
``seed=-1: must be an integer from 0 to 4294967295``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Callable, Iterable, Mapping, Sequence

from omegaconf import DictConfig, ListConfig, OmegaConf
from omegaconf.errors import OmegaConfBaseException

from bench.errors import ConfigError

_ABSENT = object()


@dataclass(frozen=True)
class Allowed:
    """A predicate on a config value and the words for what it accepts."""

    test: Callable[[Any], bool]
    text: str

    def __call__(self, value: Any) -> bool:
        try:
            return bool(self.test(value))
        except (TypeError, ValueError):
            return False


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_number(value: Any) -> bool:
    return _is_int(value) or (isinstance(value, float) and math.isfinite(value))


def integer(minimum: int, maximum: int | None = None) -> Allowed:
    if maximum is None:
        return Allowed(lambda v: _is_int(v) and v >= minimum, f"an integer ≥ {minimum}")
    return Allowed(lambda v: _is_int(v) and minimum <= v <= maximum, f"an integer from {minimum} to {maximum}")


def number(*, gt: float | None = None, ge: float | None = None, lt: float | None = None,
           le: float | None = None) -> Allowed:
    """A finite number within the given bounds (``gt``/``ge`` below, ``lt``/``le`` above)."""
    pairs = ((">", gt), ("≥", ge), ("<", lt), ("≤", le))
    bounds = [f"{op} {_num(bound)}" for op, bound in pairs if bound is not None]
    words = "a number " + " and ".join(bounds) if bounds else "a number"

    def test(v: Any) -> bool:
        return (_is_number(v) and (gt is None or v > gt) and (ge is None or v >= ge)
                and (lt is None or v < lt) and (le is None or v <= le))

    return Allowed(test, words)


def _num(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else str(value)


def boolean() -> Allowed:
    return Allowed(lambda v: isinstance(v, bool), "true or false")


def text() -> Allowed:
    return Allowed(lambda v: isinstance(v, str) and v.strip() != "", "a non-empty string")


def one_of(values: Iterable[str], what: str = "") -> Allowed:
    options = list(values)
    suffix = f" ({what})" if what else ""
    return Allowed(lambda v: isinstance(v, str) and v in options, f"one of {', '.join(options)}{suffix}")


def optional(rule: Allowed) -> Allowed:
    return Allowed(lambda v: v is None or rule(v), f"null or {rule.text}")


def either(first: Allowed, second: Allowed) -> Allowed:
    return Allowed(lambda v: first(v) or second(v), f"{first.text}, or {second.text}")


def list_of(rule: Allowed, *, min_items: int = 0, words: str | None = None) -> Allowed:
    def test(v: Any) -> bool:
        return isinstance(v, (list, tuple)) and len(v) >= min_items and all(rule(x) for x in v)

    return Allowed(test, words or f"a list of {rule.text}" + (f" (at least {min_items})" if min_items else ""))


def show(value: Any) -> str:
    """A value as it would be written in an override: ``null``, ``true``, ``[a, b]``, ``abc``."""
    if isinstance(value, (DictConfig, ListConfig)):
        value = OmegaConf.to_container(value, resolve=False)
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return value if value.strip() and value == value.strip() else repr(value)
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(show(v) for v in value) + "]"
    if isinstance(value, Mapping):
        return "{" + ", ".join(f"{k}: {show(v)}" for k, v in value.items()) + "}"
    return str(value)


def value_at(cfg: DictConfig, key: str) -> Any:
    """The resolved value at ``key`` (plain Python containers), or ``_ABSENT`` when not set."""
    try:
        found = OmegaConf.select(cfg, key, default=_ABSENT, throw_on_missing=False)
    except OmegaConfBaseException as exc:  # an interpolation that cannot be resolved
        raise ConfigError(f"{key}: cannot be resolved ({str(exc).splitlines()[0]})") from exc
    if isinstance(found, (DictConfig, ListConfig)):
        return OmegaConf.to_container(found, resolve=True)
    return found


def fail(key: str, value: Any, allowed: str) -> ConfigError:
    """The one-line error for ``key=value`` (returned, to be raised by the caller)."""
    return ConfigError(f"{key}={show(value)}: must be {allowed}")


def check(cfg: DictConfig, table: Mapping[str, Allowed], *, prefix: str = "",
          required: Sequence[str] = ()) -> None:
    """Apply ``table`` (key relative to ``prefix`` → rule); keys that are not set are skipped
    unless listed in ``required``."""
    for key, rule in table.items():
        full = f"{prefix}.{key}" if prefix else key
        value = value_at(cfg, full)
        if value is _ABSENT:
            if key in required:
                raise ConfigError(f"{full} is not set: must be {rule.text}")
            continue
        if not rule(value):
            raise fail(full, value, rule.text)
