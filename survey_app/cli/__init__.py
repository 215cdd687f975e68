"""The ``survey-app`` command: set-up, demo, serving and the county's housekeeping.

One Typer app (``common.app``); each module adds its commands to it when imported here, in the order
``--help`` lists them: first setting up and serving, then the data, then backups.
"""

from __future__ import annotations

# isort: off
from survey_app.cli import serving, data, backup
from survey_app.cli.common import app

# isort: on

__all__ = ["app", "backup", "data", "serving"]
