"""One run of a study, with TensorFlow: the command line and its stages (``run.runner``): data (``run.prepare``),
fitting (``run.fit``, with the training loop, callbacks and model selection of ``run.training``), evaluation
(``run.evaluate``) and the run folder (``run.assemble``); plus resumable backups (``run.backup``), what a user's
machine does to a run (``run.guard``: locks, disk, Ctrl-C) and frozen-backbone feature caching (``run.features``)."""
