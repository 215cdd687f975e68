"""Packaging beyond what pyproject.toml can say: the wheel carries the top-level ``templates/`` and
``questionnaires/`` folders inside the package (``survey_app/_shipped/``), so an installed Innspill needs no
checkout. An editable install (``pip install -e .``, what ``make`` does) reads them where they are instead
(survey_app/resources.py)."""

from __future__ import annotations

from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

HERE = Path(__file__).resolve().parent
FOLDERS = ("templates", "questionnaires")


class BuildWithShippedFiles(build_py):  # type: ignore[misc]
    def run(self) -> None:
        super().run()
        if getattr(self, "editable_mode", False):
            return
        for name in FOLDERS:
            self.copy_tree(str(HERE / name), str(Path(self.build_lib) / "survey_app" / "_shipped" / name))


setup(cmdclass={"build_py": BuildWithShippedFiles})
