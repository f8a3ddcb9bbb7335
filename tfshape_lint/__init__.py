"""tfshape-lint: find, confirm and fix silent bugs in TensorFlow/Keras loss code."""

__version__ = "0.1.0"

#: where the project lives; keep equal to ``[project.urls] Repository`` in pyproject.toml (a
#: test checks). Rule links in SARIF output point into it.
REPOSITORY_URL = "https://github.com/tfshape-lint/tfshape-lint"
