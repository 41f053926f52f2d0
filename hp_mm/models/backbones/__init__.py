from .nearest_fuse_hrnet import NearestFuseHRNet

__all__ = ['NearestFuseHRNet']
