"""Ending a command cleanly after TensorFlow ran: the input pipelines stop while Python still runs.

A tf.data iterator runs its map functions on TensorFlow's own threads, and ours call Python
(``tf.numpy_function`` reads the decoded images). Keras keeps the last iterators on the model, in
reference cycles, so after Ctrl-C (or any error in the middle of an epoch) they are still alive,
with prefetch threads filling their buffers, when the interpreter starts to shut down. Python then
stops every thread that asks for the GIL (``PyThread_exit_thread``, a forced unwind through
TensorFlow's C++ frames): the process aborts (SIGABRT, return code -6) or hangs waiting for a
thread that is gone. Under load the buffers fill more slowly, so it happens more often.

:func:`stop_input_pipelines` collects those cycles first: each iterator's destructor cancels its
threads and waits for them while Python can still serve their calls. A command calls it after its
work is done (or interrupted) and before it returns its exit code.
"""

from __future__ import annotations

import gc
import sys


def stop_input_pipelines() -> None:
    """Destroy every unreachable tf.data iterator now (no-op when TensorFlow was never imported)."""
    if "tensorflow" in sys.modules:
        gc.collect()
