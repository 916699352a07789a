"""The LSP boundary: bytes to checked messages and back, the lifecycle, pygls behind one adapter,
and the one translation of the core's errors into JSON-RPC errors."""
