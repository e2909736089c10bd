"""One short declarative module per reproduced study; run with ``python -m reproductions.<id>``.

Studies register with lungxray through the ``lungxray.studies`` entry points in setup.cfg.
"""
