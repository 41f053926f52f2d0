from .efficientnet_lite import EfficientNetLite
from .efficientnet_lite_checkpoint import load_from_efficientnet_lite
from .nearest_fuse_hrnet import NearestFuseHRNet
from .upsample_resnet import UpsampleResNet

__all__ = ['EfficientNetLite', 'load_from_efficientnet_lite', 'UpsampleResNet',
           'NearestFuseHRNet']
