"""Re-ID model pieces (reused by ISP): BN-neck head, label-smoothed CE, the global
baseline. The batch-hard triplet loss is mmdet's ``TripletLoss`` (checked against the
formula in the tests): ``dict(type='mmdet.TripletLoss', margin=0.3)``."""
from .bnneck_head import BNNeckHead
from .global_reid import GlobalReID, labels_of
from .isp_neck import ISPNeck
from .isp_reid import ISPReID
from .label_smooth_cross_entropy_loss import LabelSmoothCrossEntropyLoss

__all__ = ['ISPNeck', 'ISPReID',
           'BNNeckHead', 'GlobalReID', 'LabelSmoothCrossEntropyLoss', 'labels_of']
