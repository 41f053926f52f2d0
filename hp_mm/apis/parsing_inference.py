"""Inference of a single-person parser on a user's own images.

    model = init_parser('configs/lip/deeplabv3_r50-d8_lip.py', 'iter_80000.pth', device='cpu')
    results = inference_parser(model, ['a.jpg', 'b.jpg'])      # list of SegDataSample
    save_parsing_result('a.jpg', results[0], model.dataset_meta['palette'], 'out/')
"""
import os.path as osp
from pathlib import Path
from typing import List, Optional, Sequence, Union

import cv2
import mmcv
import numpy as np
import torch
from mmengine.config import Config
from mmengine.dataset import Compose
from mmengine.registry import init_default_scope
from mmengine.utils import mkdir_or_exist
from mmengine.runner.checkpoint import _load_checkpoint, _load_checkpoint_to_model

from hp_mm.registry import MODELS

IMG_EXTENSIONS = ('.jpg', '.jpeg', '.png', '.bmp', '.webp', '.tif', '.tiff')
_ANNOTATION_LOADERS = ('LoadAnnotations', 'LoadParsingAnnotations')


def _checkpoint_num_classes(state_dict: dict) -> Optional[int]:
    weight = state_dict.get('decode_head.conv_seg.weight')
    return None if weight is None else int(weight.shape[0])


def init_parser(config: Union[str, Path, Config], checkpoint: Optional[str] = None,
                device: str = 'cpu', cfg_options: Optional[dict] = None):
    """Build a parser from its config and load a checkpoint (strictly).

    Args:
        config: config file or :class:`Config`.
        checkpoint (str, optional): checkpoint file; None keeps random weights.
        device (str): e.g. ``'cpu'`` or ``'cuda:0'``.
        cfg_options (dict, optional): overrides merged into the config.

    Returns:
        nn.Module: the segmentor in eval mode, with ``cfg`` and ``dataset_meta``
        (classes, palette, flip_pairs from the checkpoint, else the config's dataset).

    Raises:
        ValueError: the checkpoint's classes (its ``dataset_meta`` or its
            classifier's output channels) do not match the config's ``num_classes``.
    """
    cfg = Config.fromfile(str(config)) if isinstance(config, (str, Path)) else config
    if cfg_options:
        cfg.merge_from_dict(cfg_options)
    cfg.model.pretrained = None
    cfg.model.train_cfg = None
    if isinstance(cfg.model.get('backbone'), dict):
        cfg.model.backbone.init_cfg = None
    init_default_scope(cfg.get('default_scope', 'hp_mm'))
    model = MODELS.build(cfg.model)
    num_classes = model.decode_head.num_classes
    dataset_meta = _config_dataset_meta(cfg)
    if checkpoint is not None:
        ckpt = _load_checkpoint(checkpoint, map_location='cpu')
        state_dict = ckpt.get('state_dict', ckpt)
        meta = ckpt.get('meta', {}).get('dataset_meta') or {}
        ckpt_classes = meta.get('classes')
        for what, n in (('dataset_meta classes', None if ckpt_classes is None
                         else len(ckpt_classes)),
                        ('classifier output channels', _checkpoint_num_classes(state_dict))):
            if n is not None and n != num_classes:
                raise ValueError(f'checkpoint {checkpoint} has {n} classes ({what}) but the '
                                 f'config builds a {num_classes}-class model: use the config '
                                 'the checkpoint was trained with')
        _load_checkpoint_to_model(model, state_dict, strict=True)
        dataset_meta.update(meta)
    model.dataset_meta = dataset_meta
    if hasattr(model, 'set_dataset_meta'):
        model.set_dataset_meta(dataset_meta)
    model.cfg = cfg
    return model.to(device).eval()


def _config_dataset_meta(cfg: Config) -> dict:
    """classes / palette / flip_pairs of the config's test dataset class, if it has them."""
    from hp_mm.registry import DATASETS
    try:
        dataset_cls = DATASETS.get(cfg.test_dataloader.dataset.type)
    except (AttributeError, KeyError):
        return {}
    return dict(getattr(dataset_cls, 'METAINFO', {})) if dataset_cls else {}


def _build_inference_pipeline(cfg: Config, from_array: bool) -> Compose:
    steps = [dict(t) for t in cfg.test_pipeline if t.get('type') not in _ANNOTATION_LOADERS]
    steps[0]['type'] = 'LoadImageFromNDArray' if from_array else 'LoadParsingImageFromFile'
    return Compose(steps)


def list_images(path: str) -> List[str]:
    """An image file, or the images of a folder (sorted); error if there are none."""
    if osp.isfile(path):
        return [path]
    if not osp.isdir(path):
        raise FileNotFoundError(f'input {path} is neither an image file nor a folder')
    files = sorted(str(p) for p in Path(path).rglob('*') if p.suffix.lower() in IMG_EXTENSIONS)
    if not files:
        raise FileNotFoundError(f'no images ({", ".join(IMG_EXTENSIONS)}) under {path}')
    return files


@torch.no_grad()
def inference_parser(model, imgs: Union[str, np.ndarray, Sequence], batch_size: int = 4):
    """Parse image files or BGR arrays (H, W, 3).

    Returns:
        list[SegDataSample] (or one, for a single input) with ``pred_sem_seg``
        (1, H, W) at the original image size and ``seg_logits`` (C, H, W).
    """
    single = not isinstance(imgs, (list, tuple))
    imgs = [imgs] if single else list(imgs)
    from_array = isinstance(imgs[0], np.ndarray)
    pipeline = _build_inference_pipeline(model.cfg, from_array)
    packed = [pipeline(dict(img=img) if from_array else dict(img_path=img)) for img in imgs]
    results, start = [], 0
    while start < len(packed):
        # mmseg stacks only equal-size test images: batch consecutive inputs of one shape
        shape = packed[start]['inputs'].shape
        stop = start + 1
        while (stop < len(packed) and stop - start < batch_size
               and packed[stop]['inputs'].shape == shape):
            stop += 1
        chunk = packed[start:stop]
        results.extend(model.test_step(dict(inputs=[p['inputs'] for p in chunk],
                                            data_samples=[p['data_samples'] for p in chunk])))
        start = stop
    return results[0] if single else results


def colorize(label: np.ndarray, palette: Sequence) -> np.ndarray:
    """Label map (H, W) -> RGB image (H, W, 3) by one palette lookup."""
    lut = np.zeros((256, 3), np.uint8)
    lut[:len(palette)] = np.asarray(palette, np.uint8)
    return lut[label]


def save_parsing_result(img: Union[str, np.ndarray], result, palette: Sequence, out_dir: str,
                        name: Optional[str] = None, alpha: float = 0.6) -> dict:
    """Write ``<name>.png`` (8-bit label map) and ``<name>_overlay.jpg`` (colour overlay).

    Returns:
        dict: the two written paths, keys ``label`` and ``overlay``.
    """
    image = mmcv.imread(img) if isinstance(img, str) else img
    if name is None:
        name = osp.splitext(osp.basename(img))[0] if isinstance(img, str) else 'result'
    label = result.pred_sem_seg.data.squeeze(0).cpu().numpy().astype(np.uint8)
    colour = colorize(label, palette)[..., ::-1]
    overlay = np.where(label[..., None] > 0,
                       (alpha * colour + (1 - alpha) * image).astype(np.uint8), image)
    paths = dict(label=osp.join(out_dir, f'{name}.png'),
                 overlay=osp.join(out_dir, f'{name}_overlay.jpg'))
    mkdir_or_exist(out_dir)
    cv2.imwrite(paths['label'], label)
    cv2.imwrite(paths['overlay'], np.concatenate([image, overlay], axis=1))
    return paths
