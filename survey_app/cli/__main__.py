"""``python -m survey_app.cli``: the ``survey-app`` command without an installed console script."""

from survey_app.cli import main

main()
