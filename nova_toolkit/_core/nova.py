"""Facts about Amazon Nova that more than one room needs (the embedder, the twin, the CLI)."""

from __future__ import annotations

#: The Bedrock model id of Amazon Nova Multimodal Embeddings (see NOVA-AND-S3VECTORS.md).
NOVA_MODEL_ID = "amazon.nova-2-multimodal-embeddings-v1:0"
