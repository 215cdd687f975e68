"""HTML to PDF through WeasyPrint, with our own Jinja2 environment and no network at all.

The templates live in ``templates/documents/``; the print stylesheet is included inline, fonts come from the
system through fontconfig, so rendering needs no URL. The fetcher refuses every URL all the same: a document
prints text that municipalities and staff wrote, and nothing in it may make the server fetch anything.
"""

from __future__ import annotations

import warnings
from functools import lru_cache
from typing import Any

import jinja2

from survey_app.resources import TEMPLATES_DIR

with warnings.catch_warnings():
    # Without the system's libharfbuzz-subset, WeasyPrint warns at import that a future version will need it
    # (it subsets fonts with fontTools meanwhile). The suite turns warnings into errors; this one says nothing
    # about our documents, so it is silenced here and the library is recommended in docs/case-documents.md.
    warnings.filterwarnings("ignore", message="HarfBuzz-Subset", category=DeprecationWarning)
    from weasyprint import HTML, URLFetcher

# The same folder as the app's settings.templates_dir, found without importing survey_app.config, which would
# bring the database layer into a package that renders bytes only.
TEMPLATES = TEMPLATES_DIR


class RefusingFetcher(URLFetcher):  # type: ignore[misc]
    """Refuses every URL: http, https, file and data alike. WeasyPrint logs the refusal and goes on."""

    def __init__(self) -> None:
        super().__init__(allowed_protocols=())
        self.refused: list[str] = []

    def fetch(self, url: str, headers: Any = None) -> Any:
        self.refused.append(url)
        raise ValueError(f"Dokumentene henter ingenting utenfra: {url}")


@lru_cache(maxsize=1)
def environment() -> jinja2.Environment:
    """Strict about undefined names, like the app's pages, so a missing value fails the render."""
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


def render_html(template: str, **context: Any) -> str:
    return environment().get_template(template).render(**context)


def html_to_pdf(html: str, *, fetcher: URLFetcher | None = None) -> bytes:
    """The PDF of ``html``, tagged for screen readers; nothing is fetched (see ``RefusingFetcher``)."""
    # No base_url: relative references then have nothing to resolve against, and the fetcher refuses the rest.
    document = HTML(string=html, url_fetcher=fetcher or RefusingFetcher())
    pdf: bytes = document.write_pdf(pdf_tags=True)
    return pdf
