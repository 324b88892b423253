"""`python -m betfolio.cli …` (used by the app to run a command in a child process)."""

import sys

from betfolio.cli.main import main

sys.exit(main())
