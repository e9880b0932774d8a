"""`python -m vrrplab` is the `vrrplab` command."""

from vrrplab.cli import main

main()
