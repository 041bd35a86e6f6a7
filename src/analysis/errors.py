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


# ---------------------------------------------------------------------------------------------
# one line on a terminal, whatever the message carries


def one_line(text: object) -> str:
    """``text`` safe to print as one terminal line: line breaks, control characters (ANSI
    escapes), format characters (bidirectional overrides, zero-width marks) and line
    separators are shown escaped (``\\n``, ``\\x1b``, ``\\u202e``), so a file, sheet or key name
    can neither break the line nor forge a second ``parole: ...`` line."""
    import unicodedata

    out = []
    for char in str(text):
        if char in "\n\r\t":
            out.append({"\n": "\\n", "\r": "\\r", "\t": "\\t"}[char])
        elif unicodedata.category(char) in ("Cc", "Cf", "Zl", "Zp"):
            code = ord(char)
            out.append(f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}")
        else:
            out.append(char)
    return "".join(out)


# ---------------------------------------------------------------------------------------------
# settings read from the environment and option values (one-line errors naming the variable
# or option; kept here so that a settings module can take them over unchanged)

TRUE_WORDS = ("1", "true", "yes", "on")
FALSE_WORDS = ("", "0", "false", "no", "off")


def env_flag(name: str, environ: dict[str, str] | None = None) -> bool:
    """A yes/no environment variable: ``1/true/yes/on`` or ``0/false/no/off`` (any case);
    unset or empty is no; anything else is refused naming the variable."""
    import os

    value = (os.environ if environ is None else environ).get(name, "")
    word = value.strip().lower()
    if word in TRUE_WORDS:
        return True
    if word in FALSE_WORDS:
        return False
    raise ParoleError(f"{name}={value!r}: expected one of "
                      f"{', '.join(TRUE_WORDS)} (on) or {', '.join(w for w in FALSE_WORDS if w)} "
                      "(off)")


def option_date(option: str):
    """An argparse ``type`` for ``option``: a real calendar date ``YYYY-MM-DD``, returned as
    the text given (refused in one line otherwise)."""
    from datetime import date

    def check(text: str) -> str:
        try:
            date.fromisoformat(text)
            if len(text) != 10:
                raise ValueError
        except ValueError:
            raise ParoleError(f"{option} {one_line(text)!r}: not a date; expected YYYY-MM-DD, "
                              "e.g. 2025-03-31") from None
        return text

    return check


def option_number(option: str, *, minimum: float = 0.0, whole: bool = False,
                  above: bool = True):
    """An argparse ``type`` for ``option``: a finite number over ``minimum`` (or at least
    ``minimum`` when ``above`` is false), whole when ``whole``."""
    import math

    def check(text: str) -> float | int:
        try:
            number = int(text) if whole else float(text)
        except ValueError:
            number = None
        kind = "a whole number" if whole else "a number"
        bound = f"over {minimum:g}" if above else f"at least {minimum:g}"
        if number is None or not math.isfinite(number) or \
                (number <= minimum if above else number < minimum):
            raise ParoleError(f"{option} {one_line(text)!r}: expected {kind} {bound}")
        return number

    return check
