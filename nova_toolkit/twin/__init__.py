"""A local AWS twin: bedrock-runtime (Nova embeddings), S3 Vectors, S3 and STS on one port.

``nova-toolkit serve`` runs it; unmodified boto3 code talks to it with
``AWS_ENDPOINT_URL=http://127.0.0.1:8555`` and dummy credentials. Vectors come from
the ``local`` backend (or a fast hash-seeded stand-in) served at Nova's dimensions.
Non-AWS endpoints: ``GET /_twin/stats``, ``POST /_twin/reset``, ``GET /_twin/health``.
"""

from nova_toolkit.twin.config import NOVA_MODEL_ID, TwinConfig
from nova_toolkit.twin.server import Twin, TwinApp

__all__ = ["NOVA_MODEL_ID", "Twin", "TwinApp", "TwinConfig", "serve"]


def serve(config: TwinConfig | None = None, *, host: str = "127.0.0.1", port: int = 8555) -> None:
    """Run the twin in the foreground until interrupted (the ``serve`` command)."""
    twin = Twin(config, host=host, port=port)
    print(f"nova-toolkit twin listening on {twin.url} "
          f"(bedrock-runtime, s3vectors, s3, sts; data in {twin.config.root})", flush=True)
    twin.serve_forever()
