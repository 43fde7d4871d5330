"""The twin's HTTP server: one port, four services (bedrock-runtime, s3vectors, S3, STS).

Each request is routed by the service named in its SigV4 credential scope (see
:mod:`.routing`); S3 and STS requests go to moto's apps mounted in the same server. An
error is sent in the protocol of the service the request was for (XML for query and
rest-xml services such as STS, JSON otherwise).
"""

from __future__ import annotations

import contextlib
import logging
import re
import socket
import tempfile
import threading
from pathlib import Path
from typing import Any

from werkzeug.serving import WSGIRequestHandler, make_server
from werkzeug.wrappers import Request, Response

from nova_toolkit.twin.bedrock import BedrockRuntime, Dropped
from nova_toolkit.twin.config import TwinConfig
from nova_toolkit.twin.faults import FaultInjector
from nova_toolkit.twin.guard import refusal
from nova_toolkit.twin.models import TwinModel
from nova_toolkit.twin.routing import service_for
from nova_toolkit.twin.s3 import S3Access, moto_s3_app
from nova_toolkit.twin.s3vectors import S3VectorsService
from nova_toolkit.twin.stats import TwinStats
from nova_toolkit.twin.sts import StsService
from nova_toolkit.twin.wire import ServiceError, error_for_service, error_response, json_response

log = logging.getLogger("nova_toolkit.twin")


class TwinApp:
    """The WSGI application behind the twin (usable with any WSGI server)."""

    def __init__(self, config: TwinConfig, endpoint_url: str, *,
                 bound_host: str = "127.0.0.1") -> None:
        from nova_toolkit.vectors import local_client

        self.config = config
        self.bound_host = bound_host
        self.allowed_hosts = frozenset(h.lower() for h in config.allowed_hosts)
        if config.root is None:
            self._tmp = tempfile.TemporaryDirectory(prefix="nova-twin-")
            config.root = Path(self._tmp.name)
        root = Path(config.root)
        self.stats = TwinStats()
        self.faults = FaultInjector(config)
        self.model = TwinModel(fast=config.fast_embeddings)
        self.s3 = S3Access(endpoint_url, config.region)
        self.s3_app = moto_s3_app()
        self.sts = StsService()
        self.vectors = S3VectorsService(local_client(root / "s3vectors", region=config.region,
                                                     account_id="123456789012"))
        self.bedrock = BedrockRuntime(config, self.model, self.s3, self.faults, self.stats)

    def _twin(self, request: Request) -> Response:
        if request.path == "/_twin/stats":
            return json_response({**self.stats.snapshot(), "faults": dict(self.faults.counts)})
        if request.path == "/_twin/reset" and request.method == "POST":
            self.stats.reset()
            self.faults.counts.clear()
            return json_response({})
        if request.path == "/_twin/health":
            return json_response({"ok": True})
        return json_response({"message": "not found"}, status=404)

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        service = service_for(environ, self.vectors.ops)
        refused = refusal(environ, service, bound_host=self.bound_host,
                          allowed_hosts=self.allowed_hosts)
        if refused is not None:
            return error_for_service(service, refused)(environ, start_response)
        if service == "s3":
            return self.s3_app(environ, start_response)
        if service == "sts":
            return self.sts(environ, start_response)
        request = Request(environ)
        try:
            if service == "bedrock-runtime":
                response = self.bedrock.handle(request)
            elif service == "s3vectors":
                response = self.vectors.handle(request)
            elif service == "twin":
                response = self._twin(request)
            else:
                raise ServiceError("UnknownServiceException",
                                   f"the twin does not serve {service!r}", 400)
        except Dropped:
            _drop(environ)
            response = Response(b"", status=500)
        except ServiceError as exc:
            response = error_for_service(service, exc)
        except Exception as exc:  # never leak a traceback over the wire
            log.exception("twin: unexpected error")
            response = error_response(ServiceError("InternalServerException",
                                                   f"{type(exc).__name__}: {exc}", 500))
        return response(environ, start_response)


def _drop(environ: dict[str, Any]) -> None:
    """Close the client's connection without an answer (a dropped connection)."""
    sock = environ.get("werkzeug.socket")
    if sock is not None:
        with contextlib.suppress(OSError):
            sock.shutdown(socket.SHUT_RDWR)


#: Query parameters whose values are secrets (presigned URLs carry them).
_SECRET_PARAMS = re.compile(r"((?:X-Amz-(?:Credential|Security-Token|Signature)|AWSAccessKeyId|"
                            r"Signature)=)[^&\s\"]*", re.I)


def redact(line: str) -> str:
    """A log line without the credentials, tokens and signatures of presigned URLs (SigV4's
    ``X-Amz-*`` parameters and S3's SigV2 ``AWSAccessKeyId`` / ``Signature``)."""
    return _SECRET_PARAMS.sub(r"\1REDACTED", line)


class _QuietHandler(WSGIRequestHandler):
    #: socketserver applies it to every connection: idle or trickling clients are closed
    timeout: float | None = 30.0

    def log(self, type: str, message: str, *args: Any) -> None:  # noqa: A002
        if type == "error" or not getattr(self.server, "quiet", True):
            super().log(type, "%s", redact(message % args if args else message))


class Twin:
    """The twin on a real socket, served from a background thread.

    >>> with Twin(TwinConfig(), port=0) as twin:   # doctest: +SKIP
    ...     boto3.client("s3vectors", endpoint_url=twin.url)

    Parameters
    ----------
    config : TwinConfig
        Behaviour (faults, fast embeddings, data root).
    host, port : str, int
        Where to listen; port 0 picks a free port.
    """

    def __init__(self, config: TwinConfig | None = None, *, host: str = "127.0.0.1",
                 port: int = 8555) -> None:
        self.config = config or TwinConfig()
        handler = type("_Handler", (_QuietHandler,), {"timeout": self.config.idle_timeout_s})
        self._server = make_server(host, port, _placeholder, threaded=True,
                                   request_handler=handler)
        self._server.quiet = self.config.quiet
        self._server.daemon_threads = True
        self.host = host
        self.port = self._server.server_port
        self.app = TwinApp(self.config, self.url, bound_host=host)
        self._server.app = self.app
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        """``http://host:port``: the value for ``AWS_ENDPOINT_URL``."""
        return f"http://{self.host}:{self.port}"

    def start(self) -> Twin:
        """Serve in a daemon thread and return self."""
        self._thread = threading.Thread(target=self._server.serve_forever, name="nova-twin",
                                        daemon=True)
        self._thread.start()
        return self

    def serve_forever(self) -> None:
        """Serve in the calling thread until interrupted."""
        try:
            self._server.serve_forever()
        finally:
            self.stop()

    def stop(self) -> None:
        """Stop serving and release the port."""
        if self._thread is not None:
            self._server.shutdown()
            self._thread.join(timeout=5)
            self._thread = None
        self.app.bedrock.shutdown()
        self._server.server_close()

    def __enter__(self) -> Twin:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def _placeholder(environ: dict[str, Any], start_response: Any) -> Any:
    start_response("503 Service Unavailable", [("Content-Length", "0")])
    return [b""]
