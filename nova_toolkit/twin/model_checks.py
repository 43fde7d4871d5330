"""An operation's request read and checked against the installed botocore service model.

botocore checks types and required members on the client, not ``enum``, ``pattern``,
the maximum lengths or ranges: AWS's front end does, and answers a ValidationException
(400) in its own wording, for example::

    1 validation error detected: Value 'turbo' at 'performanceConfigLatency' failed to
    satisfy constraint: Member must satisfy enum value set: [optimized, standard]

(the enum sentence as Bedrock sends it, values sorted, quoted in the hermes-agent pull
request NousResearch/hermes-agent#34476; the length, pattern, range and null sentences
are the same service framework's, seen across AWS JSON services, not checked on Bedrock).
Nested members are named by their path (``tags.1.member.key``, lists counted from 1, as
the same framework does; unconfirmed on Bedrock), and a ``sensitive`` member's value is
left out (``Value at 'requestMetadata' failed ...``), as AWS does for secrets.
"""

from __future__ import annotations

import functools
import re
from typing import Any

from werkzeug.wrappers import Request

from nova_toolkit.twin.wire import ServiceError


@functools.lru_cache(maxsize=8)
def service_model(service: str):
    """The installed botocore model of ``service`` (read once)."""
    import botocore.session

    return botocore.session.get_session().get_service_model(service)


def request_params(op_model, request: Request, uri: dict[str, str],
                   body: dict[str, Any] | None) -> dict[str, Any]:
    """The operation's input members found in the request (URI labels, headers, query
    string, JSON body), by member name; a blob payload member is left out."""
    params: dict[str, Any] = {}
    shape = op_model.input_shape
    if shape is None:
        return params
    payload = shape.serialization.get("payload")
    for name, member in shape.members.items():
        where = member.serialization.get("location")
        wire = member.serialization.get("name", name)
        if where == "uri":
            if wire in uri:
                params[name] = uri[wire]
        elif where == "header":
            if wire in request.headers:
                params[name] = request.headers[wire]
        elif where == "querystring":
            if wire in request.args:
                params[name] = request.args[wire]
        elif name != payload and body is not None and name in body:
            params[name] = body[name]
    return params


def _quote(value: Any) -> str:
    return "null" if value is None else f"'{value}'"


def _scalar(member, value: Any, path: str) -> list[str]:
    kind = member.type_name
    meta = member.metadata
    if meta.get("document"):  # free-form JSON (a model's own body): the model checks it
        return []
    out: list[str] = []
    if kind == "string" and isinstance(value, str):
        enum = getattr(member, "enum", None)
        if enum and value not in enum:
            out.append(f"Member must satisfy enum value set: [{', '.join(sorted(enum))}]")
        if "min" in meta and len(value) < meta["min"]:
            out.append(f"Member must have length greater than or equal to {meta['min']}")
        if "max" in meta and len(value) > meta["max"]:
            out.append(f"Member must have length less than or equal to {meta['max']}")
        if "pattern" in meta and re.search(meta["pattern"], value) is None:
            out.append(f"Member must satisfy regular expression pattern: {meta['pattern']}")
    elif kind in ("integer", "long"):
        try:
            number = int(value)
        except (TypeError, ValueError):
            return [f"Value {_quote(value)} at '{path}' failed to satisfy constraint: "
                    "Member must be a number"]
        if "min" in meta and number < meta["min"]:
            out.append(f"Member must have value greater than or equal to {meta['min']}")
        if "max" in meta and number > meta["max"]:
            out.append(f"Member must have value less than or equal to {meta['max']}")
    elif kind == "list" and isinstance(value, list):
        if "min" in meta and len(value) < meta["min"]:
            out.append(f"Member must have length greater than or equal to {meta['min']}")
        if "max" in meta and len(value) > meta["max"]:
            out.append(f"Member must have length less than or equal to {meta['max']}")
        errors = [f"Value {_quote(value)} at '{path}' failed to satisfy constraint: {c}"
                  for c in out]
        for i, item in enumerate(value, 1):
            errors += _check(member.member, item, f"{path}.{i}.member")
        return errors
    elif kind == "structure" and isinstance(value, dict):
        return _check_structure(member, value, path)
    value_part = "Value" if meta.get("sensitive") else f"Value {_quote(value)}"
    return [f"{value_part} at '{path}' failed to satisfy constraint: {c}" for c in out]


def _check(member, value: Any, path: str) -> list[str]:
    return _scalar(member, value, path)


def _check_structure(shape, values: dict[str, Any], prefix: str,
                     skip: frozenset[str] = frozenset()) -> list[str]:
    errors: list[str] = []
    for name in shape.required_members:
        if name not in skip and values.get(name) is None:
            errors.append(f"Value null at '{prefix}{'.' if prefix else ''}{name}' failed to "
                          "satisfy constraint: Member must not be null")
    for name, value in values.items():
        member = shape.members.get(name)
        if member is not None and value is not None:
            errors += _check(member, value, f"{prefix}{'.' if prefix else ''}{name}")
    return errors


def check_input(op_model, params: dict[str, Any]) -> None:
    """ValidationException naming every member of ``params`` outside the model's
    constraints (and every missing required member), in AWS's wording."""
    if op_model.input_shape is None:
        return
    payload = op_model.input_shape.serialization.get("payload")
    errors = _check_structure(op_model.input_shape, params, "", frozenset({payload}))
    if errors:
        n = len(errors)
        raise ServiceError("ValidationException",
                           f"{n} validation error{'s' if n > 1 else ''} detected: "
                           + "; ".join(errors), 400)
