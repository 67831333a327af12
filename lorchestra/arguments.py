"""Turn ``--name value`` options into keyword arguments a job's signature accepts.

The job's signature is the schema: names map hyphens to underscores, values are converted by
annotation (str, int, float, bool, date, datetime, Path, list of str, optionals of these), and
``since``/``until`` also accept relative spans resolved against one ``now`` per run. Errors
name the argument and list what the job accepts; they never echo a rejected value, which may be
sensitive.
"""

from __future__ import annotations

import inspect
import types
import typing
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

from lorchestra.errors import InvalidJobArguments
from lorchestra.phi import is_phi
from lorchestra.timespec import isoformat_utc, parse_instant, parse_timestamp

TIME_WINDOW = ("since", "until")
_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off"}


@dataclass(frozen=True)
class Parameter:
    """One job parameter the CLI can fill."""

    name: str
    annotation: Any
    required: bool
    default: Any
    phi: bool = True  # may hold PHI (lorchestra.phi): recorded only as a keyed hash

    @property
    def option(self) -> str:
        return "--" + self.name.replace("_", "-")

    @property
    def is_bool(self) -> bool:
        return _base_type(self.annotation) is bool

    @property
    def is_list(self) -> bool:
        return _base_type(self.annotation) is list


@dataclass(frozen=True)
class JobSignature:
    """The parameters of a job after its first (warehouse client) argument."""

    parameters: dict[str, Parameter]
    accepts_extra: bool

    @classmethod
    def of(cls, job: Callable[..., Any]) -> JobSignature:
        signature = inspect.signature(job)
        try:
            hints = typing.get_type_hints(job, include_extras=True)
        except Exception:  # noqa: BLE001 - unresolvable hints fall back to plain strings
            hints = {}
        params: dict[str, Parameter] = {}
        accepts_extra = False
        for index, param in enumerate(signature.parameters.values()):
            if param.kind is inspect.Parameter.VAR_KEYWORD:
                accepts_extra = True
                continue
            if index == 0 or param.kind is inspect.Parameter.VAR_POSITIONAL:
                continue  # the warehouse client the runner passes positionally
            annotation = hints.get(param.name, str)
            params[param.name] = Parameter(
                name=param.name,
                annotation=_strip_annotated(annotation),
                phi=is_phi(annotation),
                required=param.default is inspect.Parameter.empty,
                default=None if param.default is inspect.Parameter.empty else param.default,
            )
        return cls(params, accepts_extra)

    def describe(self) -> str:
        options = [p.option + ("" if p.required else "?") for p in self.parameters.values()]
        if self.accepts_extra:
            options.append("--<any name>")
        return ", ".join(options) if options else "no options"


def parse_job_options(
    signature: JobSignature, tokens: Sequence[str], *, now: datetime
) -> dict[str, Any]:
    """Convert raw ``--name value`` tokens to validated keyword arguments."""
    raw = _split_tokens(signature, tokens)
    kwargs: dict[str, Any] = {}
    for name, values in raw.items():
        param = signature.parameters.get(name)
        if param is None:
            kwargs[name] = values[-1] if len(values) == 1 else list(values)
            continue
        kwargs[name] = _convert(signature, param, values, now)
    missing = [
        p.option for p in signature.parameters.values() if p.required and p.name not in kwargs
    ]
    if missing:
        raise InvalidJobArguments(
            f"Missing required option {', '.join(missing)}. "
            f"This job accepts: {signature.describe()}."
        )
    _check_window(kwargs)
    return kwargs


def _split_tokens(signature: JobSignature, tokens: Sequence[str]) -> dict[str, list[str]]:
    raw: dict[str, list[str]] = {}
    index = 0
    while index < len(tokens):
        token = tokens[index]
        if not token.startswith("--") or token == "--":
            raise InvalidJobArguments(
                f"Unexpected argument at position {index + 1}; job options look like --name value. "
                f"This job accepts: {signature.describe()}."
            )
        body = token[2:]
        name, has_value, value = body.partition("=")
        key = name.replace("-", "_")
        param = signature.parameters.get(key)
        negated = key.startswith("no_") and key[3:] in signature.parameters
        if negated and signature.parameters[key[3:]].is_bool and not has_value:
            raw.setdefault(key[3:], []).append("false")
            index += 1
            continue
        if param is None and not signature.accepts_extra:
            raise InvalidJobArguments(
                f"Unknown option --{name}. This job accepts: {signature.describe()}."
            )
        if not has_value:
            following = tokens[index + 1] if index + 1 < len(tokens) else None
            is_flag = param is not None and param.is_bool
            if is_flag and (following is None or following.lower() not in _TRUE | _FALSE):
                value = "true"
            elif following is None:
                raise InvalidJobArguments(f"Option --{name} needs a value.")
            else:
                value = following
                index += 1
        raw.setdefault(key, []).append(value)
        index += 1
    return raw


def _convert(signature: JobSignature, param: Parameter, values: list[str], now: datetime) -> Any:
    base = _base_type(param.annotation)
    try:
        if param.is_list:
            items = [item.strip() for value in values for item in value.split(",")]
            return [item for item in items if item]
        value = values[-1]
        if param.name in TIME_WINDOW:
            moment = parse_instant(value, now)
            if base is datetime:
                return moment
            if base is date:
                return moment.date()
            return isoformat_utc(moment)
        return _convert_scalar(base, value)
    except ValueError as exc:
        reason = str(exc) if param.name in TIME_WINDOW else f"expected {_type_name(base)}"
        raise InvalidJobArguments(
            f"Bad value for {param.option}: {reason}. This job accepts: {signature.describe()}."
        ) from None


def _convert_scalar(base: Any, value: str) -> Any:
    if base is bool:
        lowered = value.strip().lower()
        if lowered in _TRUE:
            return True
        if lowered in _FALSE:
            return False
        raise ValueError("not a boolean")
    if base is int:
        return int(value)
    if base is float:
        return float(value)
    if base is datetime:
        return parse_timestamp(value)
    if base is date:
        return date.fromisoformat(value)
    if base is Path:
        return Path(value).expanduser()
    return value


def _check_window(kwargs: dict[str, Any]) -> None:
    since, until = kwargs.get("since"), kwargs.get("until")
    if since is None or until is None:
        return
    if isinstance(since, str) and isinstance(until, str):
        since_dt = parse_instant(since, datetime.now())
        until_dt = parse_instant(until, datetime.now())
    else:
        since_dt, until_dt = since, until
    if until_dt < since_dt:
        raise InvalidJobArguments("--until is before --since; the window would be empty.")


def _strip_annotated(annotation: Any) -> Any:
    if typing.get_origin(annotation) is typing.Annotated:
        return typing.get_args(annotation)[0]
    return annotation


def _base_type(annotation: Any) -> Any:
    """Strip Optional/Union-with-None and generic parameters: ``list[str] | None`` -> list."""
    origin = typing.get_origin(annotation)
    if origin in (typing.Union, types.UnionType):
        args = [arg for arg in typing.get_args(annotation) if arg is not type(None)]
        return _base_type(args[0]) if len(args) == 1 else str
    if origin is not None:
        return origin
    if annotation in (inspect.Parameter.empty, Any):
        return str
    return annotation


def _type_name(base: Any) -> str:
    names = {
        int: "an integer",
        float: "a number",
        bool: "true or false",
        date: "an ISO date",
        datetime: "an ISO date and time",
        Path: "a path",
        str: "text",
    }
    return names.get(base, getattr(base, "__name__", "a value"))
