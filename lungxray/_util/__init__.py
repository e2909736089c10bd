"""Private plumbing used by every layer: ``--json`` output, progress bars, TensorFlow's start-up noise, version."""
