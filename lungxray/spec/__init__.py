"""What a study declares, free of TensorFlow and numpy: ``Study``, ``Experiment``, ``Variant``, the published
numbers and the evidence the audit reads (``spec.study``), the typed run configuration (``spec.config``) and the
one ``Registry`` idiom (``spec.registry``). The lowest layer above ``errors`` and ``_util``."""
