"""Where the files Innspill ships beside its code are: page templates and questionnaires.

In a checkout they are the top-level ``templates/`` and ``questionnaires/`` folders, where the people who
write them edit them. An installed wheel (``pip install innspill``) has no checkout: setup.py copies both
folders into the package as ``survey_app/_shipped/``, and that copy is used when it is there. Nothing here
imports the rest of the app, so the document renderer and the analysis can use it too.
"""

from __future__ import annotations

from pathlib import Path

PACKAGE = Path(__file__).resolve().parent
SHIPPED = PACKAGE / "_shipped"
CHECKOUT = PACKAGE.parent
# The folders setup.py copies into the wheel.
FOLDERS = ("templates", "questionnaires")


def shipped(name: str) -> Path:
    """The shipped folder ``name`` (one of ``FOLDERS``): the installed copy, else the checkout's."""
    if name not in FOLDERS:
        raise ValueError(f"{name!r} is not shipped with Innspill")
    installed = SHIPPED / name
    return installed if installed.is_dir() else CHECKOUT / name


TEMPLATES_DIR = shipped("templates")
QUESTIONNAIRES_DIR = shipped("questionnaires")
CODEBOOK = QUESTIONNAIRES_DIR / "codebook.yaml"
