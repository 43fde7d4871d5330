"""The ``nova`` backend: Amazon Nova Multimodal Embeddings on Amazon Bedrock.

>>> from nova_toolkit.embedders import get_embedder
>>> nova = get_embedder("nova", dimension=1024, region="us-east-1")   # doctest: +SKIP

Modules: :mod:`.bodies` (request bodies), :mod:`.parse` (responses and async JSONL),
:mod:`.transport` (clients, retries), :mod:`.async_invoke` (StartAsyncInvoke via S3),
:mod:`.usage` (usage and cost), :mod:`.dry_run` (what a planned item costs; the dry run
itself is :func:`nova_toolkit.pipeline.dry_run.dry_run`),
:mod:`.matryoshka` (smaller dimensions from stored vectors).
"""

from nova_toolkit.embedders.nova.constants import DIMENSIONS, MODEL_ID
from nova_toolkit.embedders.nova.dry_run import DryRunReport, count_planned
from nova_toolkit.embedders.nova.embedder import NovaEmbedder
from nova_toolkit.embedders.nova.matryoshka import truncate_dimension
from nova_toolkit.embedders.nova.usage import DEFAULT_PRICES, Usage

__all__ = ["DEFAULT_PRICES", "DIMENSIONS", "MODEL_ID", "DryRunReport", "NovaEmbedder", "Usage",
           "count_planned", "truncate_dimension"]
