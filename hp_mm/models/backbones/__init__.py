from .nearest_fuse_hrnet import NearestFuseHRNet
from .upsample_resnet import UpsampleResNet

__all__ = ['UpsampleResNet', 'NearestFuseHRNet']
