"""openrouter-lsp: the OpenRouter provider of an AI coding assistant, as a language server."""

__version__ = "0.1.0"

PROJECT_URL = "https://github.com/openrouter-lsp/openrouter-lsp"
PRODUCT_NAME = "openrouter-lsp"
