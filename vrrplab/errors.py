"""Errors that end a vrrplab command, each with its documented exit code.

The CLI turns any of these into one clear line on stderr and the exit code;
nothing else should reach the user as a traceback. A message given as a template
marked N_ with its values as keywords (`LabError(N_("{node}: nft refused"), node=n)`)
is English in str() (logs, results.json) and in the reader's language in localized().
"""

from __future__ import annotations

from vrrplab.i18n import Joined, Message

EXIT_PASS = 0
EXIT_CHECK_FAILED = 1
EXIT_BAD_INPUT = 2
EXIT_ENVIRONMENT = 3
EXIT_INTERRUPTED = 130


class VrrplabError(Exception):
    """Base class: a message for the user and the exit code that goes with it."""

    exit_code = 1

    def __init__(self, message: str | Message = "", /, **values):
        self.message = message if isinstance(message, Message) else Message(message, **values)
        super().__init__(str(self.message))

    def localized(self) -> str:
        """The message in the reader's language (vrrplab.i18n)."""
        return self.message.localized()


class InputError(VrrplabError):
    """A topology, scenario or command line that is wrong. Nothing was started."""

    exit_code = EXIT_BAD_INPUT

    def __init__(self, problems: list[str | Message] | str | Message):
        given = [problems] if isinstance(problems, (str, Message)) else list(problems)
        self.problems = [str(p) for p in given]  # English, one line each
        super().__init__(Joined("\n", given))


class EnvironmentProblem(VrrplabError):
    """The machine cannot run a lab: not root, a tool or kernel feature missing."""

    exit_code = EXIT_ENVIRONMENT


class LabError(VrrplabError):
    """The lab misbehaved while running (a daemon refused to start, a timeout)."""

    exit_code = EXIT_CHECK_FAILED
