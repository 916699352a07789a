"""The HTTP side: everything that talks to OpenRouter (or an OpenAI-compatible server)."""
