"""One readable line for Hydra's override errors against the schema (key, value, what went wrong).

Hydra reports ``seed=abc`` as "Error merging override seed=abc" with the reason in the
exception's cause, and ``subset.evaluate=3`` as "Could not override 'subset.evaluate'. To
append to your config use +subset.evaluate=3" (advice that does not apply to a typed node).
"""

from __future__ import annotations

import re

from bench.configschema.schema import schema_keys

_MERGE = re.compile(r"Error merging override (?P<override>\S+)")
_UNKNOWN = re.compile(r"Could not override '(?P<key>[^']+)'\.\s*To append to your config use \+(?P<override>\S+)")


def _first_line(exc: BaseException | None) -> str:
    text = str(exc).strip() if exc is not None else ""
    return text.splitlines()[0] if text else ""


def compose_error_line(exc: BaseException) -> str | None:
    """The line for an override error, or None for any other error (left to the caller)."""
    text = str(exc).strip()
    found = _UNKNOWN.match(text)
    if found:
        key = found["key"]
        section = key.rpartition(".")[0]
        known = schema_keys(section)
        if known is None:
            return None
        return (f"Could not override '{key}' ({found['override']}): no such key; "
                f"{section or 'the config'} has: {', '.join(known)}")
    found = _MERGE.match(text)
    if found and _first_line(exc.__cause__):
        return f"Error merging override {found['override']}: {_first_line(exc.__cause__)}"
    return None
