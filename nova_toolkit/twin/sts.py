"""STS on the twin: moto's STS backend app behind a check of the query-protocol request.

STS speaks the AWS query protocol: a form-encoded ``POST /`` (or a ``GET /?Action=...``)
with ``Action`` and ``Version=2011-06-15``, answered in XML. The twin checks ``Action``,
``Version`` and the members botocore's ``sts`` model requires or bounds, then hands the
request to moto (GetCallerIdentity, AssumeRole, GetSessionToken, GetFederationToken,
AssumeRoleWithSAML / WebIdentity, GetAccessKeyInfo). Every error is STS's XML error shape,
never JSON. The account is moto's default, ``123456789012`` (:data:`.config.ACCOUNT_ID`),
the one the twin's Bedrock and S3 Vectors ARNs use.
"""

from __future__ import annotations

import functools
import io
import logging
import re
from typing import Any
from urllib.parse import parse_qsl

from nova_toolkit.twin.wire import ServiceError, xml_error_response

log = logging.getLogger("nova_toolkit.twin")

#: Form bodies larger than this are refused before parsing (STS requests are tiny).
MAX_FORM_BYTES = 256 * 1024


@functools.lru_cache(maxsize=1)
def sts_model() -> Any:
    """botocore's ``sts`` service model (the ground truth for actions and members)."""
    import botocore.session

    return botocore.session.get_session().get_service_model("sts")


def api_version() -> str:
    return sts_model().api_version


def read_form(environ: dict[str, Any]) -> dict[str, str] | None:
    """The query parameters of a request (form body of a POST, else the query string).

    The body is put back into ``environ`` so that the next WSGI app can read it again.
    None when the body is too large or not form-encoded.
    """
    params = dict(parse_qsl(environ.get("QUERY_STRING", ""), keep_blank_values=True))
    if environ.get("REQUEST_METHOD") != "POST":
        return params
    ctype = environ.get("CONTENT_TYPE", "")
    if ctype and not ctype.startswith("application/x-www-form-urlencoded"):
        return None
    try:
        length = int(environ.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return None
    if length > MAX_FORM_BYTES:
        return None
    body = environ["wsgi.input"].read(length) if length else b""
    environ["wsgi.input"] = io.BytesIO(body)
    environ["CONTENT_LENGTH"] = str(len(body))
    try:
        params.update(parse_qsl(body.decode("utf-8"), keep_blank_values=True))
    except UnicodeDecodeError:
        return None
    return params


def _camel(name: str) -> str:
    return name[:1].lower() + name[1:]


def validate(params: dict[str, str]) -> str:
    """Check ``Action``, ``Version`` and top-level members against the model → the action.

    Raises :class:`ServiceError` with STS's codes: ``InvalidAction`` for an unknown action
    or version, ``ValidationError`` (400) listing each violated constraint in AWS's
    wording ("1 validation error detected: Value null at 'roleArn' failed to satisfy
    constraint: Member must not be null").
    """
    model = sts_model()
    action, version = params.get("Action", ""), params.get("Version", "")
    if not action or action not in model.operation_names or version != model.api_version:
        raise ServiceError("InvalidAction", f"Could not find operation {action} for version "
                           f"{version or 'NO_VERSION_SPECIFIED'}", 400)
    shape = model.operation_model(action).input_shape
    problems: list[str] = []
    if shape is not None:
        for name in shape.required_members:
            if name not in params:
                problems.append(f"Value null at '{_camel(name)}' failed to satisfy constraint: "
                                "Member must not be null")
        for name, member in shape.members.items():
            if name in params:
                problems += _constraint(_camel(name), params[name], member)
    if problems:
        n = len(problems)
        raise ServiceError("ValidationError", f"{n} validation error{'s' if n > 1 else ''} "
                           f"detected: {'; '.join(problems)}", 400)
    return action


def _constraint(where: str, value: str, shape: Any) -> list[str]:
    meta = shape.metadata
    head = f"Value '{value}' at '{where}' failed to satisfy constraint: Member must"
    if shape.type_name == "string":
        if "min" in meta and len(value) < meta["min"]:
            return [f"{head} have length greater than or equal to {meta['min']}"]
        if "max" in meta and len(value) > meta["max"]:
            return [f"{head} have length less than or equal to {meta['max']}"]
        pattern = meta.get("pattern")
        if pattern and re.fullmatch(pattern, value) is None:
            return [f"{head} satisfy regular expression pattern: {pattern}"]
    elif shape.type_name == "integer":
        try:
            number = int(value)
        except ValueError:
            return [f"{head} be an integer"]
        if "min" in meta and number < meta["min"]:
            return [f"{head} have value greater than or equal to {meta['min']}"]
        if "max" in meta and number > meta["max"]:
            return [f"{head} have value less than or equal to {meta['max']}"]
    return []


#: moto's answer for credentials it did not issue: an ARN no principal has
#: (``arn:aws:sts::<acct>:user/moto``) and an access key id as the UserId.
_MOTO_PLACEHOLDER = re.compile(rb"<Arn>arn:([\w-]+):sts::(\d{12}):user/moto</Arn>")
_MOTO_USER_ID = re.compile(rb"<UserId>AKIAIOSFODNN7EXAMPLE</UserId>")
#: The IAM user that credentials the twin did not issue belong to.
TWIN_USER = "twin-user"


def _access_key(environ: dict[str, Any]) -> str:
    """The access key id of a SigV4-signed request ('' when unsigned)."""
    found = re.search(r"Credential=([^/,\s]+)/", environ.get("HTTP_AUTHORIZATION", ""))
    return found.group(1) if found else ""


def as_iam_user(body: bytes, access_key: str) -> bytes:
    """GetCallerIdentity for credentials moto did not issue, as AWS names an IAM user.

    AWS answers ``Arn = arn:aws:iam::<account>:user/<name>`` with ``UserId`` the user's
    unique id (``AIDA`` + 17 characters). Any access key works on the twin, so such a key
    is the IAM user :data:`TWIN_USER` of the twin's account, its id derived from the key
    (stable per key). Sessions from AssumeRole / GetSessionToken keep moto's answer.
    """
    if not _MOTO_PLACEHOLDER.search(body):
        return body
    import base64
    import hashlib

    digest = base64.b32encode(hashlib.sha256(access_key.encode()).digest()).decode()
    user_id = "AIDA" + digest.replace("=", "")[:17]
    body = _MOTO_PLACEHOLDER.sub(
        lambda m: b"<Arn>arn:" + m.group(1) + b":iam::" + m.group(2) + b":user/"
        + TWIN_USER.encode() + b"</Arn>", body)
    return _MOTO_USER_ID.sub(b"<UserId>" + user_id.encode() + b"</UserId>", body)


class StsService:
    """A WSGI app: validated STS requests go to moto's STS app; errors come back as XML."""

    def __init__(self) -> None:
        from botocore import xform_name
        from moto.server import create_backend_app
        from moto.sts.responses import TokenResponse

        self.app = create_backend_app("sts")
        self.implemented = frozenset(op for op in sts_model().operation_names
                                     if callable(getattr(TokenResponse, xform_name(op), None)))

    def _error(self, err: ServiceError, environ: dict, start_response: Any) -> Any:
        namespace = sts_model().metadata.get("xmlNamespace")
        return xml_error_response(err, namespace)(environ, start_response)

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        from werkzeug.test import run_wsgi_app

        try:
            params = read_form(environ)
            if params is None:
                raise ServiceError("InvalidAction", "STS takes form-encoded query requests "
                                   "(application/x-www-form-urlencoded)", 400)
            action = validate(params)
            if action not in self.implemented:
                raise ServiceError("InvalidAction", f"{action} is not available on the local "
                                   "twin (its STS is moto's)", 400)
            environ["PATH_INFO"] = "/"  # STS ignores the path; moto serves its API at /
            body, status, headers = run_wsgi_app(self.app, environ, buffered=True)
            status_code = int(status.split()[0])
            if status_code >= 500 or "xml" not in headers.get("Content-Type", "xml"):
                raise ServiceError("InternalFailure", "The request processing has failed "
                                   "because of an unknown error.", 500)
            if action == "GetCallerIdentity":
                body = [as_iam_user(b"".join(body), _access_key(environ))]
                headers["Content-Length"] = str(len(body[0]))
            start_response(status, list(headers.items()))
            return body
        except ServiceError as exc:
            return self._error(exc, environ, start_response)
        except Exception:  # never a traceback or an HTML page over the wire
            log.exception("twin: STS request failed")
            return self._error(ServiceError("InternalFailure", "The request processing has "
                                            "failed because of an unknown error.", 500),
                               environ, start_response)
