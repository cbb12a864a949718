"""`python -m service.cli`: the same as the `rapport` command."""

from service.cli import main

main()
