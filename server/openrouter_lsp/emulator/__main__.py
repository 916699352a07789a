"""`python -m openrouter_lsp.emulator`."""

import sys

from .cli import main

sys.exit(main())
