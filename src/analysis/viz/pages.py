"""Pages written outside notebooks (the report index, the freshness page) from Jinja2
templates in ``templates/``, all with the one stylesheet ``templates/parole.css`` (which the
report pages carry too: :func:`stylesheet`). Autoescaping is on: text passed in is escaped
once, by the template."""

from __future__ import annotations

import functools
from importlib import resources

import jinja2

TEMPLATES = "templates"


@functools.cache
def _environment() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.PackageLoader("analysis.viz", TEMPLATES),
        autoescape=jinja2.select_autoescape(["html", "j2"]), keep_trailing_newline=True,
        trim_blocks=True, lstrip_blocks=True)


@functools.cache
def stylesheet() -> str:
    """The one stylesheet, as text (inlined in every page, so a page works opened alone)."""
    return (resources.files("analysis.viz") / TEMPLATES / "parole.css").read_text("utf-8")


def render(template: str, **context) -> str:
    """``template`` (a file of ``templates/``) filled with ``context`` and the stylesheet."""
    page = _environment().get_template(template)
    return page.render(stylesheet=jinja2.utils.markupsafe.Markup(stylesheet()), **context)
