"""One module per method group; each has `register(server)`."""
