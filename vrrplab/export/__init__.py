"""`vrrplab export SCENARIO DIR`: the lab sheet for students, and the teacher's copy.

`configs` renders each router's keepalived.conf (with `--blanks`, the values the
students choose left as blanks), `draw` the topology as a printable PNG, `sheet` the
sheet's steps, commands and questions (with the answers: the RFC's figures, and what a
run measured), `command` checks the inputs, runs the scenario for the measured figures
when asked, and writes the folder.
"""
