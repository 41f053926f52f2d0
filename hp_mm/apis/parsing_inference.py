"""Inference of a single-person parser on a user's own images.

    model = init_parser('configs/lip/deeplabv3_r50-d8_lip.py', 'iter_80000.pth', device='cpu')
    results = inference_parser(model, ['a.jpg', 'b.jpg'])      # list of SegDataSample
    save_parsing_result('a.jpg', results[0], model.dataset_meta['palette'], 'out/',
                        classes=model.dataset_meta['classes'])

Drawing goes through :class:`~hp_mm.visualization.ParsingLocalVisualizer` (the
visualizer of ``tools/test.py --show-dir`` and the Inferencers).
"""
import os.path as osp
from pathlib import Path
from typing import List, Optional, Sequence, Union

import mmcv
import numpy as np
import torch
from mmengine.config import Config
from mmengine.dataset import Compose
from mmengine.fileio import get as read_bytes
from mmengine.registry import init_default_scope
from mmengine.runner.checkpoint import _load_checkpoint, _load_checkpoint_to_model
from mmengine.utils import mkdir_or_exist

from hp_mm.evaluation.submission_writers import write_lip_prediction
from hp_mm.registry import MODELS
from hp_mm.visualization import ParsingLocalVisualizer

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


def _build_inference_pipeline(cfg: Config) -> Compose:
    """The config's test pipeline on BGR arrays: no annotation loading, the image given."""
    steps = [dict(t) for t in cfg.test_pipeline if t.get('type') not in _ANNOTATION_LOADERS]
    steps[0]['type'] = 'LoadImageFromNDArray'
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


def equal_shape_chunks(packed: Sequence[dict], batch_size: int) -> List[List[dict]]:
    """Consecutive packed samples of one input shape, at most ``batch_size`` each.

    mmseg's ``SegDataPreProcessor`` stacks only equal-size test images, so a
    batch is cut where the shape changes.

    Args:
        packed (Sequence[dict]): Pipeline outputs with ``inputs`` (3, H, W).
        batch_size (int): Most samples per chunk.

    Returns:
        list[list[dict]]: The chunks, in order.
    """
    chunks, start = [], 0
    while start < len(packed):
        shape = packed[start]['inputs'].shape
        stop = start + 1
        while (stop < len(packed) and stop - start < batch_size
               and packed[stop]['inputs'].shape == shape):
            stop += 1
        chunks.append(list(packed[start:stop]))
        start = stop
    return chunks


@torch.no_grad()
def inference_parser(model, imgs: Union[str, np.ndarray, Sequence], batch_size: int = 4):
    """Parse image files or BGR arrays (H, W, 3).

    Files are read with :func:`read_image` (a truncated JPEG is an error, not
    a half-grey image); files and arrays then go through the config's test
    pipeline alike.

    Args:
        model (nn.Module): From :func:`init_parser`.
        imgs (str | ndarray | Sequence): Image files and / or BGR arrays.
        batch_size (int): Images per forward pass (consecutive images of one
            size). Defaults to 4.

    Returns:
        list[SegDataSample] (or one, for a single input) with ``pred_sem_seg``
        (1, H, W) at the original image size and ``seg_logits`` (C, H, W);
        metainfo ``img_path`` for files.

    Raises:
        OSError: An image file is unreadable or truncated.
    """
    single = not isinstance(imgs, (list, tuple))
    imgs = [str(i) if isinstance(i, Path) else i for i in ([imgs] if single else imgs)]
    pipeline = _build_inference_pipeline(model.cfg)
    packed = []
    for img in imgs:
        sample = pipeline(dict(img=read_image(img) if isinstance(img, str) else img))
        if isinstance(img, str):
            sample['data_samples'].set_metainfo(dict(img_path=img))
        packed.append(sample)
    results = []
    for chunk in equal_shape_chunks(packed, batch_size):
        results.extend(model.test_step(dict(inputs=[p['inputs'] for p in chunk],
                                            data_samples=[p['data_samples'] for p in chunk])))
    return results[0] if single else results


def colorize(label: np.ndarray, palette: Sequence) -> np.ndarray:
    """Label map (H, W) -> RGB image (H, W, 3) by one palette lookup."""
    lut = np.zeros((256, 3), np.uint8)
    lut[:len(palette)] = np.asarray(palette, np.uint8)
    return lut[label]


def check_image_bytes(data: bytes, name: str) -> None:
    """Raise ``OSError`` for an empty file, or a JPEG or PNG that is cut short.

    Decoders accept a truncated JPEG (cv2 greys out the missing rows with a
    warning only), so the stream itself is checked: a JPEG's last
    start-of-scan marker (``FF DA``) must be followed by an end-of-image
    marker (``FF D9``, which entropy-coded data cannot contain); a PNG must
    hold its ``IEND`` chunk.

    Args:
        data (bytes): The file's bytes.
        name (str): The file, for the message.
    """
    if not data:
        raise OSError(f'{name}: empty file')
    if data[:2] == b'\xff\xd8':
        sos = data.rfind(b'\xff\xda')
        if sos < 0 or data.rfind(b'\xff\xd9') < sos:
            raise OSError(f'{name}: truncated JPEG (no end-of-image marker after the last '
                          f'scan; {len(data)} bytes)')
    elif data[:8] == b'\x89PNG\r\n\x1a\n' and data.rfind(b'IEND') < 0:
        raise OSError(f'{name}: truncated PNG (no IEND chunk; {len(data)} bytes)')


def read_image(path: str) -> np.ndarray:
    """Read a colour image as mmcv's ``LoadImageFromFile`` does (cv2, BGR), checked.

    Args:
        path (str): Image file.

    Returns:
        np.ndarray: (H, W, 3) uint8, BGR.

    Raises:
        FileNotFoundError: No such file.
        OSError: Truncated (:func:`check_image_bytes`) or undecodable.
    """
    if not osp.isfile(path):
        raise FileNotFoundError(f'{path}: no such file')
    data = read_bytes(path)
    check_image_bytes(data, path)
    try:
        img = mmcv.imfrombytes(data, flag='color', backend='cv2')
    except Exception as e:  # noqa: BLE001 (decoders raise many types)
        raise OSError(f'{path}: cannot decode ({type(e).__name__}: {e})') from e
    if img is None or img.ndim != 3 or img.size == 0:
        raise OSError(f'{path}: cannot decode as an image (expected JPEG/PNG/BMP/...)')
    return img


def parsing_visualizer(classes: Optional[Sequence[str]] = None,
                       palette: Optional[Sequence] = None,
                       visualizer: Optional[ParsingLocalVisualizer] = None,
                       alpha: Optional[float] = None) -> ParsingLocalVisualizer:
    """The visualizer the save functions draw with, set to ``classes`` / ``palette``.

    Args:
        classes (Sequence[str], optional): Class names (``'0'``, ``'1'``, ...
            for each palette colour when None).
        palette (Sequence, optional): RGB colours.
        visualizer (ParsingLocalVisualizer, optional): The one to use (an
            Inferencer's); else one shared instance (``'hp_mm_apis'``).
        alpha (float, optional): Part opacity; None keeps the visualizer's.

    Returns:
        ParsingLocalVisualizer: Ready to draw.
    """
    if visualizer is None:
        name = 'hp_mm_apis'
        visualizer = ParsingLocalVisualizer.get_instance(name) if \
            ParsingLocalVisualizer.check_instance_created(name) else \
            ParsingLocalVisualizer.get_instance(name, alpha=0.6)
    if classes is None and palette is not None:
        meta = visualizer.dataset_meta or {}
        classes = meta['classes'] if len(meta.get('classes') or ()) == len(palette) else \
            [str(c) for c in range(len(palette))]
    if classes is not None:
        visualizer.set_dataset_meta(classes, palette)
    if alpha is not None:
        visualizer.alpha = float(alpha)
    return visualizer


def save_parsing_result(img: Union[str, np.ndarray], result, palette: Sequence, out_dir: str,
                        name: Optional[str] = None, alpha: Optional[float] = None,
                        classes: Optional[Sequence[str]] = None,
                        visualizer: Optional[ParsingLocalVisualizer] = None,
                        overlay: Optional[np.ndarray] = None,
                        save_overlay: bool = True) -> dict:
    """Write ``<name>.png`` (8-bit label map) and ``<name>_overlay.jpg`` (image | drawing).

    The drawing is :class:`~hp_mm.visualization.ParsingLocalVisualizer`'s
    (part colours over the foreground, legend of the classes present).

    Args:
        img (str | ndarray): The image file or BGR array (H, W, 3).
        result (SegDataSample): With ``pred_sem_seg`` (1, H, W).
        palette (Sequence): RGB colour of each class.
        out_dir (str): Output folder.
        name (str, optional): File stem; defaults to the image's.
        alpha (float, optional): Part opacity; default the visualizer's (0.6).
        classes (Sequence[str], optional): Class names for the legend.
        visualizer (ParsingLocalVisualizer, optional): Draw with this one.
        overlay (ndarray, optional): The RGB drawing, if already made (e.g.
            by an Inferencer): it is written as it is.
        save_overlay (bool): Write the ``_overlay.jpg``. Defaults to True.

    Returns:
        dict: The written paths, keys ``label`` and (with ``save_overlay``)
        ``overlay``.
    """
    image = read_image(img) if isinstance(img, str) else img
    if name is None:
        name = osp.splitext(osp.basename(img))[0] if isinstance(img, str) else 'result'
    label = result.pred_sem_seg.data.squeeze(0).cpu().numpy().astype(np.uint8)
    paths = dict(label=write_lip_prediction(out_dir, name, label))
    if save_overlay:
        if overlay is None:
            vis = parsing_visualizer(classes, palette, visualizer, alpha)
            overlay = vis.draw_parsing(mmcv.bgr2rgb(image), result.pred_sem_seg)
        paths['overlay'] = osp.join(out_dir, f'{name}_overlay.jpg')
        mkdir_or_exist(out_dir)
        mmcv.imwrite(np.concatenate([image, mmcv.rgb2bgr(overlay)], axis=1), paths['overlay'])
    return paths
