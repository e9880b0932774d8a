"""vrrplab grade DIR: every student's keepalived.conf pair run in the lab, one table.

command.py runs the pairs (each a `vrrplab run --config` subprocess, through bench's
launcher) and writes the files; table.py builds the rows and renders them.
"""
