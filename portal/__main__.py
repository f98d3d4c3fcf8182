"""`python -m portal`: the same as the `portal` command."""

from portal.console import main

main()
