"""Point-of-sale connectors: shared security primitives (secrets at rest, provider signatures)."""
