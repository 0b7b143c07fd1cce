"""The contract between the kiosk and any backend: API v1 models, form rules, the OpenAPI
document and the check of a signed letter.

Both the kiosk (`kiosk`) and the reference server (`apm_server`) import this package;
neither imports the other (an import contract in pyproject.toml enforces it). Keep it
light at import time: pyHanko and YAML are loaded inside the functions that need them.
"""
