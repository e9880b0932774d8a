"""`vrrplab shell`: the lab built, and a prompt where the lesson's commands work as written.

`launch` finds the lab and runs the shell in a private namespace; `session` owns the lab,
its speakers and what the prompt did to them; `commands` parses a line (pure); `prompt`
reads lines and runs them; `jobs` runs a node's commands; `service` is the lesson's
systemctl and journalctl on a router's speaker; `watch` the table kept up to date.
"""
