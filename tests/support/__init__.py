"""What the tests share, imported one way (`from tests.support.<module> import …`); the shared
fixtures are registered as pytest plugins by `tests/conftest.py`. Test modules never import each
other."""
