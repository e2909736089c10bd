"""lungxray: faithful, audited reproductions of published lung-imaging studies.

Data flows one way: dataset -> split manifest -> tf.data -> model -> fit ->
predictions -> metrics -> results.json -> report / check.  This package holds no
study-specific code; each study is a short declarative module in ``reproductions``.
"""

import os as _os

# TensorFlow's C++ start-up chatter hides our own messages; users can still set it lower.
# The user's own value is remembered: lungxray._util.quiet keeps the lines when it is 0 or 1.
_USER_TF_LOG_LEVEL = _os.environ.get("TF_CPP_MIN_LOG_LEVEL")
_os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

__version__ = "0.1.0"
