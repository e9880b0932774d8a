"""Faults: the catalogue of fault kinds (pure, read by every layer), the actions that
apply them in a running lab, and the attacker tool that runs inside an attacker host."""
