from .qam_rescored_detector import MASK_QAM_WEIGHTS, QAMRescoredDetector, qam_mask_scores

__all__ = ['QAMRescoredDetector', 'qam_mask_scores', 'MASK_QAM_WEIGHTS']
