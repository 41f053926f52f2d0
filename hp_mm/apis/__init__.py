"""hp_mm's inference API: the Inferencers (mmengine ``BaseInferencer``) and mmseg's function pair.

- :class:`HumanParsingInferencer`, :class:`MultiHumanParsingInferencer`,
  :class:`ReIDInferencer` (registered in ``INFERENCERS``, also as
  ``'human-parsing'``, ``'multi-human-parsing'``, ``'reid'``): images, folders,
  arrays, lists and videos; batches; drawings and files; failure records.
- :func:`init_model` / :func:`inference_model`: a model and its raw
  predictions, on the same model loading and pipeline.
"""
from .inference import inference_model, init_model
from .inferencers import (BaseHPMMInferencer, HumanParsingInferencer, MultiHumanParsingInferencer,
                          ReIDInferencer)

__all__ = [
    'init_model', 'inference_model', 'BaseHPMMInferencer', 'HumanParsingInferencer',
    'MultiHumanParsingInferencer', 'ReIDInferencer'
]
