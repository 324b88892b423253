"""`python -m betfolio …` runs the `betfolio` command."""

from betfolio.cli.main import main

main()
