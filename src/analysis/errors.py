"""Errors that name what went wrong, where, and what was expected.

Every error a user can cause (a bad file, an unknown source, a bad parameter) is a
:class:`ParoleError`; the command line prints its one-line message and exits non-zero.
"""

from __future__ import annotations


class ParoleError(Exception):
    """An error caused by input, reported to the user as one clear line."""

    exit_code = 2


class InputError(ParoleError):
    """A malformed input file: names the file, the place in it and what was expected."""

    def __init__(self, file: object, problem: str, *, locator: str | None = None,
                 expected: str | None = None) -> None:
        self.file = str(file)
        self.problem = problem
        self.locator = locator
        self.expected = expected
        where = f"{self.file}, {locator}" if locator else self.file
        message = f"{where}: {problem}"
        if expected:
            message += f" (expected {expected})"
        super().__init__(message)


class ChecksumError(ParoleError):
    """A registered raw file whose content no longer matches its manifest checksum."""


class UnknownSourceError(ParoleError):
    """A source id that no adapter handles."""


class ReportError(ParoleError):
    """An unknown report, an unknown or badly typed parameter, or a failed render."""
