"""Model builders, looked up by name from a study's typed ModelConfig.

The builder contract: ``builder(n_outputs, input_shape=(h, w, c), **params)`` returns a Keras model
whose last layer has ``n_outputs`` units and the activation of :func:`output_activation` (sigmoid
for one output, softmax otherwise); a builder with a pretrained part also takes ``weights``
(``ModelConfig.uses_pretrained``). Builders register with ``@MODELS.register("name")``.
"""

from lungxray.models.contract import MODELS, build_model, n_outputs, output_activation  # noqa: F401
from lungxray.spec.config import ModelConfig  # noqa: F401  (re-exported)
