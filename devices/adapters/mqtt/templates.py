"""Value and command templates, rendered as Home Assistant renders MQTT templates, in a Jinja sandbox.

- Value templates (``value_template``, ``*_state_template``...) see ``value`` (the payload as text) and
  ``value_json`` (the payload parsed as JSON; undefined when it is not JSON).
- Command templates (``command_template``, ``*_command_template``) see ``value`` (what is being sent) and any
  variables the component adds (a valve's ``position``...).
- The filters and globals MQTT templates commonly use are Home Assistant's: ``int``, ``float``, ``round``,
  ``is_defined``, ``iif``, ``bool``, ``tojson``/``to_json``, ``from_json``, ``min``, ``max``.
- Rendering runs in ``ImmutableSandboxedEnvironment``: no access to Python internals (``''.__class__``...), no
  mutation of values. Discovery payloads come from anything on the broker, so work is bounded too: repetition,
  padding, exponents, ``range`` and the output length are capped; nested or recursive loops and macros are refused.
  Undefined names are an error, not an empty string. Every failure is a :class:`TemplateError` (logged here); it
  never escapes as a raw Jinja exception.
"""

from __future__ import annotations

import contextlib
import json
import logging
import math
import operator
import re
from collections.abc import Mapping
from functools import lru_cache
from typing import Any

from jinja2 import StrictUndefined, Template, Undefined, nodes
from jinja2.exceptions import SecurityError, UndefinedError
from jinja2.filters import do_indent
from jinja2.sandbox import ImmutableSandboxedEnvironment

__all__ = ["TemplateError", "render_command", "render_value"]

_LOG = logging.getLogger(__name__)
_MAX_OUTPUT = 65_536
"""Longest rendered text accepted (characters)."""
_MAX_REPEAT = 65_536
"""Largest sequence a ``*`` may build, and the widest padding or format."""
_MAX_EXPONENT = 1_000
"""Largest exponent ``**`` may use."""
_MAX_RANGE = 10_000
"""Longest ``range()``."""
_SENTINEL: Any = object()


class TemplateError(Exception):
    """A template could not be rendered: bad syntax, an undefined name, a sandbox violation, a failing filter."""


# ---- Home Assistant's filters and globals ---------------------------------------------------------------------


def _fail(name: str, value: Any) -> Any:
    raise ValueError(f"Template error: {name} got invalid input '{value}' and no default was specified")


def _to_float(value: Any, default: Any = _SENTINEL) -> Any:
    """HA's ``float``: the number, or ``default``; an error when neither."""
    try:
        return float(value)
    except (ValueError, TypeError):
        return _fail("float", value) if default is _SENTINEL else default


def _to_int(value: Any, default: Any = _SENTINEL, base: int = 10) -> Any:
    """HA's ``int``: whole numbers from numbers or numeric text (in ``base``), or ``default``."""
    try:
        if isinstance(value, str) and base != 10:
            return int(value, base)
        return int(float(value)) if isinstance(value, str) else int(value)
    except (ValueError, TypeError, OverflowError):
        return _fail("int", value) if default is _SENTINEL else default


def _round(value: Any, precision: int = 0, method: str = "common", default: Any = _SENTINEL) -> Any:
    """HA's ``round``: ``common``, ``ceil``, ``floor`` or ``half``; a whole number for precision 0."""
    try:
        number = float(value)
    except (ValueError, TypeError):
        return _fail("round", value) if default is _SENTINEL else default
    scale = 10**precision
    if method == "ceil":
        number = math.ceil(number * scale) / scale
    elif method == "floor":
        number = math.floor(number * scale) / scale
    elif method == "half":
        number = round(number * 2) / 2
    else:
        number = round(number, precision)
    return int(number) if precision == 0 else number


def _is_defined(value: Any) -> Any:
    """HA's ``is_defined``: the value, or an error when it is undefined."""
    if isinstance(value, Undefined):
        value._fail_with_undefined_error()
    return value


def _iif(value: Any, if_true: Any = True, if_false: Any = False, if_none: Any = _SENTINEL) -> Any:
    """HA's immediate if: ``if_true``/``if_false`` by truth, ``if_none`` (when given) for None."""
    if value is None and if_none is not _SENTINEL:
        return if_none
    return if_true if value else if_false


def _to_bool(value: Any, default: Any = _SENTINEL) -> Any:
    """HA's ``bool``: true/false from booleans, numbers and yes/no/on/off/true/false/enable/disable text."""
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float):
        return value != 0
    text = str(value).strip().lower()
    if text in ("1", "true", "yes", "on", "enable"):
        return True
    if text in ("0", "false", "no", "off", "disable"):
        return False
    return _fail("bool", value) if default is _SENTINEL else default


def _to_json(value: Any, ensure_ascii: bool = False, pretty_print: bool = False, sort_keys: bool = False) -> str:
    """HA's ``to_json`` (plain JSON, not HTML-escaped like Jinja's own ``tojson``)."""
    return json.dumps(value, ensure_ascii=ensure_ascii, indent=2 if pretty_print else None, sort_keys=sort_keys)


def _from_json(value: Any, default: Any = _SENTINEL) -> Any:
    """HA's ``from_json``."""
    try:
        return json.loads(value)
    except (ValueError, TypeError):
        return _fail("from_json", value) if default is _SENTINEL else default


def _min(*args: Any) -> Any:
    return min(args[0]) if len(args) == 1 else min(args)


def _max(*args: Any) -> Any:
    return max(args[0]) if len(args) == 1 else max(args)


def _finalize(value: Any) -> Any:
    """What ``{{ ... }}`` prints: JSON for mappings and lists (a JSON state topic passed through), else the value."""
    if isinstance(value, Mapping | list):
        return json.dumps(value)
    return value


_BIG_WIDTH = re.compile(r"\d{6,}|\*")
"""A format string asking for a width or precision of a million or more (or taking it from an argument)."""


def _too_big(count: Any) -> bool:
    return isinstance(count, int) and not isinstance(count, bool) and abs(count) > _MAX_REPEAT


class _Environment(ImmutableSandboxedEnvironment):
    """The sandbox, with bounded ``*``, ``**``, ``%`` and padding (a template must not exhaust memory or time)."""

    intercepted_binops = frozenset({"*", "**", "%"})

    def call_binop(self, context: Any, operator_name: str, left: Any, right: Any) -> Any:
        if operator_name == "**":
            if isinstance(right, int | float) and abs(right) > _MAX_EXPONENT:
                raise SecurityError("exponent too large")
            return operator.pow(left, right)
        if operator_name == "*":
            for seq, count in ((left, right), (right, left)):
                if isinstance(seq, str | list | tuple) and isinstance(count, int) and len(seq) * count > _MAX_REPEAT:
                    raise SecurityError("sequence too large")
            return operator.mul(left, right)
        if operator_name == "%":
            if isinstance(left, str) and _BIG_WIDTH.search(left):
                raise SecurityError("format width too large")
            return operator.mod(left, right)
        return super().call_binop(context, operator_name, left, right)

    def call(__self, __context: Any, __obj: Any, *args: Any, **kwargs: Any) -> Any:
        """Calls from templates, less string padding and formats that would build huge text."""
        bound = getattr(getattr(__obj, "__wrapped__", __obj), "__self__", None)
        if isinstance(bound, str):
            if any(_too_big(a) for a in (*args, *kwargs.values())):
                raise SecurityError("width too large")
            if getattr(__obj, "__name__", "") in ("format", "format_map") and _BIG_WIDTH.search(bound):
                raise SecurityError("format width too large")
        return super().call(__context, __obj, *args, **kwargs)


def _center(value: Any, width: int = 80) -> str:
    if _too_big(width):
        raise SecurityError("width too large")
    return str(value).center(width)


def _indent(value: Any, width: int | str = 4, first: bool = False, blank: bool = False) -> str:
    if _too_big(width) or (isinstance(width, str) and len(width) > _MAX_REPEAT):
        raise SecurityError("indent too large")
    return str(do_indent(str(value), width, first, blank))


def _range(*args: int) -> range:
    """``range`` with at most ``_MAX_RANGE`` items."""
    rng = range(*args)
    if len(rng) > _MAX_RANGE:
        raise SecurityError(f"range longer than {_MAX_RANGE}")
    return rng


def _check_structure(source: str) -> None:
    """Refuse what can make rendering run without end: nested or recursive loops, macros and call blocks."""
    tree = _ENV.parse(source)
    for loop in tree.find_all(nodes.For):
        if loop.recursive or any(True for _ in loop.find_all(nodes.For)):
            raise SecurityError("nested or recursive loops are not allowed")
    if any(True for _ in tree.find_all((nodes.Macro, nodes.CallBlock))):
        raise SecurityError("macros are not allowed")


def _environment() -> ImmutableSandboxedEnvironment:
    env = _Environment(undefined=StrictUndefined, finalize=_finalize, autoescape=False)
    helpers = {
        "float": _to_float,
        "int": _to_int,
        "round": _round,
        "iif": _iif,
        "bool": _to_bool,
        "from_json": _from_json,
        "min": _min,
        "max": _max,
    }
    env.filters.update(helpers)
    env.filters.update({"is_defined": _is_defined, "to_json": _to_json, "tojson": _to_json})
    env.filters.update({"center": _center, "indent": _indent})
    env.globals.update({k: v for k, v in helpers.items() if k != "from_json"})
    env.globals["range"] = _range
    return env


_ENV = _environment()
"""One sandbox for all templates (configured once here, never changed after)."""


@lru_cache(maxsize=512)
def _compile(source: str) -> Template:
    """A compiled template (cached: the same few templates are rendered for every message)."""
    _check_structure(source)
    return _ENV.from_string(source)


def _render(source: str, context: Mapping[str, Any]) -> str:
    parts: list[str] = []
    size = 0
    try:
        for chunk in _compile(source).generate(context):  # streamed: a runaway output stops at the limit
            size += len(chunk)
            if size > _MAX_OUTPUT:
                raise SecurityError("the rendered text is too long")
            parts.append(chunk)
    except Exception as exc:  # syntax, undefined, sandbox, filter errors, ZeroDivisionError...: all one failure
        raise TemplateError(f"{type(exc).__name__}: {exc}") from exc
    return "".join(parts)


def render_value(template: Any, payload: str, *, entity_id: str = "") -> str | None:
    """A received payload through a value template; the payload itself when there is no template.

    None when the template cannot be rendered (a key missing from the JSON, a payload that is not JSON...):
    the message is then ignored, as Home Assistant ignores it.
    """
    if not isinstance(template, str) or not template.strip():
        return payload
    context: dict[str, Any] = {"value": payload}
    with contextlib.suppress(ValueError):
        context["value_json"] = json.loads(payload)
    try:
        return _render(template, context)
    except TemplateError as exc:
        level = logging.DEBUG if isinstance(exc.__cause__, UndefinedError) else logging.WARNING  # HA: a missing key
        _LOG.log(level, "%s: value template %r failed on %r: %s", entity_id or "MQTT", template, payload[:200], exc)
        return None


def render_command(
    template: Any, value: Any, variables: Mapping[str, Any] | None = None, *, entity_id: str = ""
) -> str:
    """What to publish: ``value`` through the command template (``str(value)`` without one).

    Raises :class:`TemplateError` (logged) when the template cannot be rendered.
    """
    if not isinstance(template, str) or not template.strip():
        return str(value)
    try:
        return _render(template, {**(variables or {}), "value": value})
    except TemplateError as exc:
        _LOG.warning("%s: command template %r failed for %r: %s", entity_id or "MQTT", template, value, exc)
        raise
