import subprocess
import sys

from mmengine.registry import DefaultScope, init_default_scope

import hp_mm  # noqa: F401
from hp_mm.registry import DATASETS, METRICS, MODELS, TRANSFORMS
from hp_mm.utils import register_all_modules


def test_children_of_mmseg_registries():
    from mmseg.registry import MODELS as MMSEG_MODELS
    assert MODELS.parent is MMSEG_MODELS and MODELS.scope == 'hp_mm'
    init_default_scope('hp_mm')
    # an mmseg backbone by its bare name
    backbone = MODELS.build(dict(type='ResNetV1c', depth=18))
    assert type(backbone).__module__.startswith('mmseg')
    # hp_mm's own classes shadow mmseg's of the same name in the hp_mm scope
    from mmseg.datasets import LIPDataset as MMSegLIP
    assert DATASETS.get('LIPDataset') is not MMSegLIP
    assert issubclass(DATASETS.get('LIPDataset'), MMSegLIP)
    # hp_mm's own class is registered in the hp_mm scope itself
    from hp_mm.datasets.transforms import ParsingRandomFlip
    assert TRANSFORMS.get('ParsingRandomFlip') is ParsingRandomFlip
    assert TRANSFORMS.module_dict['ParsingRandomFlip'] is ParsingRandomFlip
    assert TRANSFORMS.get('mmseg.ParsingRandomFlip') is None  # not in mmseg's scope
    # mmseg's classes are found through the parent, not copied into the child
    from mmseg.datasets.transforms import PackSegInputs
    from mmseg.evaluation import IoUMetric
    from mmseg.registry import METRICS as MMSEG_METRICS
    from mmseg.registry import TRANSFORMS as MMSEG_TRANSFORMS
    assert TRANSFORMS.scope == 'hp_mm' and TRANSFORMS.parent is MMSEG_TRANSFORMS
    assert METRICS.scope == 'hp_mm' and METRICS.parent is MMSEG_METRICS
    assert TRANSFORMS.get('PackSegInputs') is PackSegInputs
    assert 'PackSegInputs' not in TRANSFORMS.module_dict
    assert METRICS.get('IoUMetric') is IoUMetric and 'IoUMetric' not in METRICS.module_dict


def test_mmdet_leaf_types_by_prefix():
    init_default_scope('hp_mm')
    loss = MODELS.build(dict(type='mmdet.FocalLoss'))
    assert type(loss).__module__.startswith('mmdet')


def test_register_all_modules_sets_scope():
    register_all_modules(init_default_scope=True)
    assert DefaultScope.get_current_instance().scope_name == 'hp_mm'


def test_config_works_through_mmseg_registry_with_custom_imports():
    """mmseg's own tools build models with mmseg's registry: custom_imports + default_scope."""
    code = (
        "from mmengine.config import Config\n"
        "from mmengine.registry import init_default_scope\n"
        "from mmseg.registry import MODELS\n"
        "cfg = Config.fromfile('configs/lip/fpn_r18_minihumans.py')\n"
        "import sys; assert 'hp_mm' in sys.modules, 'custom_imports did not import hp_mm'\n"
        "init_default_scope(cfg.default_scope)\n"
        "m = MODELS.build(cfg.model)\n"
        "print(type(m).__name__)\n")
    import os.path as osp
    root = osp.dirname(osp.dirname(osp.abspath(__file__)))
    out = subprocess.run([sys.executable, '-c', code], cwd=root, capture_output=True, text=True)
    assert out.returncode == 0, out.stderr[-3000:]
    assert out.stdout.strip().endswith('ParsingEncoderDecoder')
