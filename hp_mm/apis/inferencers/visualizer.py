"""The visualizer of an Inferencer: the config's if it draws parsings, under a name of its own."""
import logging
from typing import Optional

from mmengine.config import Config
from mmengine.logging import print_log

from hp_mm.registry import VISUALIZERS
from hp_mm.visualization import ParsingLocalVisualizer


def build_inference_visualizer(cfg: Config, dataset_meta: Optional[dict],
                               owner: str) -> ParsingLocalVisualizer:
    """The config's visualizer if it is a :class:`ParsingLocalVisualizer`, else a default one.

    The Inferencer writes its drawings itself, so no vis backend is kept. The
    visualizer gets a name not taken yet (``<config name>-inferencer-<owner>-<n>``:
    mmengine's registry would hand back an existing instance of a taken name)
    and the model's classes and palette.

    Args:
        cfg (Config): The model's config (its ``visualizer``, if any).
        dataset_meta (dict, optional): The model's ``classes`` and ``palette``.
        owner (str): Part of the name, unique per Inferencer (e.g. its ``id``).

    Returns:
        ParsingLocalVisualizer: A new visualizer.
    """
    vis_cfg = dict(cfg.get('visualizer') or {})
    vis_type = vis_cfg.get('type', 'ParsingLocalVisualizer')
    vis_cls = VISUALIZERS.get(vis_type) if isinstance(vis_type, str) else vis_type
    if vis_cls is None or not issubclass(vis_cls, ParsingLocalVisualizer):
        if vis_cls is not None:
            print_log(f'the config visualizer {vis_type} cannot draw parsings: using '
                      'ParsingLocalVisualizer', logger='current', level=logging.WARNING)
        vis_cfg = dict(type='ParsingLocalVisualizer', alpha=vis_cfg.get('alpha', 0.6))
    name, count = f'{vis_cfg.get("name", "visualizer")}-inferencer-{owner}', 0
    while ParsingLocalVisualizer.check_instance_created(f'{name}-{count}'):
        count += 1
    vis_cfg.update(type=vis_cfg.get('type', 'ParsingLocalVisualizer'), vis_backends=None,
                   name=f'{name}-{count}')
    vis_cfg.pop('save_dir', None)
    visualizer = VISUALIZERS.build(vis_cfg)
    meta = dataset_meta or {}
    visualizer.set_dataset_meta(meta.get('classes'), meta.get('palette'))
    return visualizer
