"""Convert soeaver/QANet checkpoints to hp_mm (``TopDownParser`` + ``QANetHead``).

    python tools/model_converters/qanet2hpmm.py SRC DST [--config CONFIG] [--dataset {cihp,lip}]

SRC is an official QANet checkpoint (``{'model', 'optimizer', 'scheduler'}``,
e.g. ``QANet_R-50c_512x384_1x/model_latest.pth`` from the soeaver/QANet
README's CIHP or LIP downloads): R-50c (``ResNetV1c`` + FPN neck + semantic
FPN head; an R-101c has the same layout) or HRNet-W48 (``NearestFuseHRNet``,
the semantic FPN head straight on the four HRNet branches). QANet's own R-101
config is an R-101d (average-pool shortcuts, also in layer 1, where mmseg's
``ResNetV1d`` has none; no published weights): not supported. DST gets ``{'state_dict', 'meta':
{'dataset_meta': classes, palette, flip_pairs}}`` (``CIHPInstanceDataset``'s
or ``LIPDataset``'s ``METAINFO``) and is checked by loading it with
``strict=True`` into the model of CONFIG (default: ``configs/qanet/`` for the
detected backbone and ``--dataset``) through :func:`hp_mm.apis.init_model`.

Key layout (soeaver/QANet snapshot ``61615c4``: ``qanet/modeling/`` and
``lib/``)::

    Conv_Body.{conv,bn}{1,2,3}            -> backbone.stem.{0,1,3,4,6,7}       (ResNet-c stem)
    Conv_Body.layerN.*                    -> backbone.layerN.*                  (ResNet)
    Conv_Body.*                           -> backbone.*                         (HRNet: same names)
    Conv_Body_FPN.fpn.p5_{in,out}.{0,1}   -> neck.{lateral,fpn}_convs.3.{conv,bn}
    Conv_Body_FPN.fpn.fpn_{in,out}.i.*    -> neck.{lateral,fpn}_convs.(2 - i).*
    Conv_Body_FPN.scale{k}_block.m.{0,1}  -> decode_head.scale_heads.(4 - k).m.{conv,bn}
    Parsing.Output.classify               -> decode_head.conv_seg
    Parsing.ParsingIoU.Head.conv1x1.0     -> decode_head.iou_conv1x1.conv
    Parsing.ParsingIoU.Head.conv_layers.i.0 -> decode_head.iou_convs.i.conv
    Parsing.ParsingIoU.Output.parsing_iou -> decode_head.iou_fc

The checkpoint's ``scheduler`` holds QANet's learning-rate scheduler state,
whose ``solver`` is a pickled yacs ``CfgNode``. It is read with torch's
``weights_only`` unpickler, allowing exactly that class (as a stand-in that
becomes a plain ``OrderedDict``) besides the numpy types of
:func:`hp_mm.utils.checkpoint.checkpoint_safe_globals`: no other code in the
file can run, and yacs need not be installed.
"""
import argparse
import os
import os.path as osp
import pickle
import re
from collections import OrderedDict
from typing import Callable, Dict, Optional, Sequence, Tuple

import torch
from mmengine.runner import CheckpointLoader

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
# --dataset -> the hp_mm dataset class whose METAINFO goes into the checkpoint
QANET_DATASETS = {'cihp': 'CIHPInstanceDataset', 'lip': 'LIPDataset'}
# (backbone, dataset) -> default config (QANet's LIP models are HRNet-W48 only)
QANET_CONFIGS = {
    ('resnet50', 'cihp'): 'configs/qanet/qanet_r50_cihp.py',
    ('resnet101', 'cihp'): 'configs/qanet/qanet_r101_cihp.py',
    ('hrnet', 'cihp'): 'configs/qanet/qanet_hrnet-w48_cihp.py',
    ('hrnet', 'lip'): 'configs/qanet/qanet_hrnet-w48_lip.py',
}
# the 3-conv (ResNet-c) stem: official conv/bn name -> index in mmseg's ResNetV1c stem Sequential
STEM_INDEX = {'conv1': 0, 'bn1': 1, 'conv2': 3, 'bn2': 4, 'conv3': 6, 'bn3': 7}
CONV_NORM = {'0': 'conv', '1': 'bn'}  # Sequential(conv, norm) -> ConvModule (QANet and SCHP)

#: A renaming rule: a regular expression on the official key and the hp_mm key built from its match.
RenameRule = Tuple['re.Pattern[str]', Callable[['re.Match[str]'], str]]


def rules(*pairs: Tuple[str, Callable[['re.Match[str]'], str]]) -> Sequence[RenameRule]:
    """Compile ``(pattern, build)`` pairs; every pattern must match a whole key."""
    return tuple((re.compile(f'^{pattern}$'), build) for pattern, build in pairs)


def rename_key(key: str, rule_table: Sequence[RenameRule]) -> Optional[str]:
    """The hp_mm name of ``key`` given by the first matching rule, None if none matches."""
    for pattern, build in rule_table:
        m = pattern.match(key)
        if m:
            return build(m)
    return None


class YacsCfgNodeStub:
    """Stand-in for ``yacs.config.CfgNode`` while unpickling a QANet checkpoint.

    A ``CfgNode`` is a ``dict`` subclass pickled as ``NEWOBJ`` + ``SETITEMS``
    (its items) + ``BUILD`` (its ``__dict__`` flags). Creating this class
    returns a plain ``OrderedDict``, one of the few types torch's
    ``weights_only`` unpickler lets ``SETITEMS`` / ``BUILD`` fill, so the node
    comes back as an ``OrderedDict`` of its items (flags as attributes).
    """

    def __new__(cls, *args, **kwargs):
        return OrderedDict()


def _safe_globals() -> list:
    """The allow-list for reading, minus what is allowed already.

    hp_mm's checkpoint types (numpy arrays, scalars, dtypes, also under their
    numpy 1.x names ``numpy.core.multiarray.*``: QANet's checkpoints were
    written with numpy 1.x, which pickled a float metric in ``scheduler.info``
    that way) and the yacs ``CfgNode`` stand-in. ``torch.serialization.safe_globals``
    removes its entries on exit: entries registered for the whole process
    (``register_checkpoint_safe_globals``) must not be among them.
    """
    from hp_mm.utils.checkpoint import checkpoint_safe_globals
    registered = set(torch.serialization.get_safe_globals())
    return [g for g in checkpoint_safe_globals() +
            [(YacsCfgNodeStub, 'yacs.config.CfgNode')] if g not in registered]


def load_qanet_checkpoint(path: str) -> Dict[str, torch.Tensor]:
    """Read an official QANet checkpoint safely and return its model state dict.

    Args:
        path (str): File (or URL) of the checkpoint.

    Returns:
        dict: The ``model`` state dict (``module.`` prefixes kept).

    Raises:
        ValueError: The file cannot be read with the restricted unpickler, or
            it is not a QANet checkpoint; the message names the file.
    """
    try:
        with torch.serialization.safe_globals(_safe_globals()):
            ckpt = CheckpointLoader.load_checkpoint(path, map_location='cpu')
    except pickle.UnpicklingError as err:
        raise ValueError(f'{path}: cannot be read with the restricted (weights_only) unpickler; '
                         f'only tensors, containers, numpy scalars and yacs CfgNodes are '
                         f'allowed in a QANet checkpoint: {err}') from err
    state = ckpt.get('model') if isinstance(ckpt, dict) else None
    if not isinstance(state, dict) or not any(
            str(k).removeprefix('module.').startswith('Conv_Body.') for k in state):
        top = sorted(ckpt)[:8] if isinstance(ckpt, dict) else type(ckpt).__name__
        hint = (" (an SCHP checkpoint: use tools/model_converters/schp2hpmm.py)"
                if isinstance(ckpt, dict) and 'state_dict' in ckpt else '')
        raise ValueError(f"{path} is not a QANet checkpoint: expected a 'model' state dict with "
                         f"'Conv_Body.*' keys, got top-level entries {top}{hint}")
    return state


def strip_module_prefix(state_dict: Dict[str, torch.Tensor]) -> 'OrderedDict[str, torch.Tensor]':
    """Drop the ``module.`` prefix of (Distributed)DataParallel checkpoints."""
    return OrderedDict((k[len('module.'):] if k.startswith('module.') else k, v)
                       for k, v in state_dict.items())


def qanet_backbone(state_dict: Dict[str, torch.Tensor]) -> str:
    """``'resnet'`` or ``'hrnet'``: the backbone of a QANet state dict (no ``module.``)."""
    if 'Conv_Body.transition1.0.0.weight' in state_dict:
        return 'hrnet'
    if 'Conv_Body.layer4.0.conv1.weight' in state_dict and 'Conv_Body.conv3.weight' in state_dict:
        return 'resnet'
    raise ValueError('not a QANet R-c / HRNet state dict: neither Conv_Body.transition1 (HRNet) '
                     'nor the 3-conv stem and layer4 (ResNet-c) are present')


_BODY_RULES = {
    'resnet': rules(
        (r'Conv_Body\.(conv[123]|bn[123])\.(.+)',
         lambda m: f'backbone.stem.{STEM_INDEX[m[1]]}.{m[2]}'),
        (r'Conv_Body\.(layer[1-4]\..+)', lambda m: f'backbone.{m[1]}')),
    'hrnet': rules((r'Conv_Body\.(.+)', lambda m: f'backbone.{m[1]}')),
}
_HEAD_RULES = rules(
    (r'Conv_Body_FPN\.fpn\.p5_(in|out)\.([01])\.(.+)',
     lambda m: f"neck.{'lateral' if m[1] == 'in' else 'fpn'}_convs.3.{CONV_NORM[m[2]]}.{m[3]}"),
    (r'Conv_Body_FPN\.fpn\.fpn_(in|out)\.([0-2])\.([01])\.(.+)',
     lambda m: (f"neck.{'lateral' if m[1] == 'in' else 'fpn'}_convs.{2 - int(m[2])}."
                f'{CONV_NORM[m[3]]}.{m[4]}')),
    (r'Conv_Body_FPN\.scale([1-4])_block\.(\d+)\.([01])\.(.+)',
     lambda m: f'decode_head.scale_heads.{4 - int(m[1])}.{m[2]}.{CONV_NORM[m[3]]}.{m[4]}'),
    (r'Parsing\.Output\.classify\.(weight|bias)', lambda m: f'decode_head.conv_seg.{m[1]}'),
    (r'Parsing\.ParsingIoU\.Head\.conv1x1\.0\.(weight|bias)',
     lambda m: f'decode_head.iou_conv1x1.conv.{m[1]}'),
    (r'Parsing\.ParsingIoU\.Head\.conv_layers\.(\d+)\.0\.(weight|bias)',
     lambda m: f'decode_head.iou_convs.{m[1]}.conv.{m[2]}'),
    (r'Parsing\.ParsingIoU\.Output\.parsing_iou\.(weight|bias)',
     lambda m: f'decode_head.iou_fc.{m[1]}'),
)


def convert_qanet(state_dict: Dict[str, torch.Tensor]) -> 'OrderedDict[str, torch.Tensor]':
    """Rename an official QANet state dict to hp_mm's ``TopDownParser`` keys.

    Pure: tensors are passed through unchanged (QANet's BN is torch's).

    Args:
        state_dict (dict): The checkpoint's ``model`` entry (``module.``
            prefixes are stripped).

    Returns:
        OrderedDict: hp_mm keys -> the same tensors.

    Raises:
        KeyError: Keys that have no hp_mm counterpart (e.g. a QANet model
            with other heads), listed.
        ValueError: Neither a ResNet-c nor an HRNet QANet.
    """
    state = strip_module_prefix(state_dict)
    backbone = qanet_backbone(state)
    converted, unknown = OrderedDict(), []
    for key, value in state.items():
        new_key = rename_key(key, _BODY_RULES[backbone] + _HEAD_RULES)
        if new_key is None:
            unknown.append(key)
        else:
            converted[new_key] = value
    if unknown:
        raise KeyError(f'{len(unknown)} QANet keys have no hp_mm counterpart (only the parsing '
                       f'model is converted): {unknown[:10]}')
    return converted


def dataset_meta(dataset_type: str) -> dict:
    """classes, palette and flip_pairs from the ``METAINFO`` of an hp_mm dataset class.

    Args:
        dataset_type (str): Registered name, e.g. ``'CIHPInstanceDataset'``.

    Returns:
        dict: ``classes`` (tuple of str), ``palette`` (list of [R, G, B]),
        ``flip_pairs`` (list of (left, right)).
    """
    import hp_mm.datasets  # noqa: F401  (registers the dataset classes)
    from hp_mm.registry import DATASETS
    info = DATASETS.get(dataset_type).METAINFO
    return dict(classes=tuple(info['classes']), palette=[list(c) for c in info['palette']],
                flip_pairs=[tuple(p) for p in info['flip_pairs']])


def save_and_check(checkpoint: dict, dst: str, config: str) -> None:
    """Write ``checkpoint`` and load it strictly with ``init_model``; remove it on failure."""
    from mmengine.utils import mkdir_or_exist

    from hp_mm.apis import init_model
    from hp_mm.utils import register_all_modules
    register_all_modules()
    mkdir_or_exist(osp.dirname(osp.abspath(dst)))
    torch.save(checkpoint, dst)
    try:
        init_model(config, dst, device='cpu')
    except Exception:
        os.remove(dst)
        raise


def parse_args():
    parser = argparse.ArgumentParser(
        description='Convert an official soeaver/QANet checkpoint (R-50c or HRNet-W48, '
        'CIHP or LIP) to an hp_mm checkpoint')
    parser.add_argument('src', help='official QANet checkpoint (file or URL)')
    parser.add_argument('dst', help='hp_mm checkpoint to write')
    parser.add_argument('--config', help='hp_mm config the result must load into strictly '
                        '(default: configs/qanet/ for the detected backbone and --dataset)')
    parser.add_argument('--dataset', choices=sorted(QANET_DATASETS), default='cihp',
                        help='dataset the checkpoint was trained on (classes, palette, flip '
                        'pairs of the output); default cihp')
    return parser.parse_args()


def main():
    args = parse_args()
    state = convert_qanet(load_qanet_checkpoint(args.src))
    if 'backbone.transition1.0.0.weight' in state:
        backbone = 'hrnet'
    else:
        backbone = 'resnet101' if 'backbone.layer3.22.conv1.weight' in state else 'resnet50'
    config = args.config
    if config is None:
        if (backbone, args.dataset) not in QANET_CONFIGS:
            raise ValueError(f'no default config for a {backbone} QANet on {args.dataset}: '
                             'pass --config')
        config = osp.join(ROOT, QANET_CONFIGS[(backbone, args.dataset)])
    meta = dataset_meta(QANET_DATASETS[args.dataset])
    num_classes = state['decode_head.conv_seg.weight'].shape[0]
    if num_classes != len(meta['classes']):
        raise ValueError(f'{args.src} has {num_classes} classes but --dataset {args.dataset} has '
                         f"{len(meta['classes'])}")
    save_and_check(OrderedDict(state_dict=state, meta=dict(dataset_meta=meta)), args.dst, config)
    print(f'{args.src} ({backbone}, {len(state)} tensors) -> {args.dst}; loads strictly into '
          f'{config}')


if __name__ == '__main__':
    main()
