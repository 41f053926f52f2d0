default_scope = 'hp_mm'
custom_imports = dict(imports=['hp_mm'], allow_failed_imports=False)
env_cfg = dict(
    cudnn_benchmark=True,
    mp_cfg=dict(mp_start_method='fork', opencv_num_threads=0),
    dist_cfg=dict(backend='nccl'),
)
vis_backends = [dict(type='LocalVisBackend')]
# mmseg's SegLocalVisualizer plus a class legend and the persons of multi-person predictions
# (boxes, ids, quality and part scores): what tools/test.py --show-dir draws
visualizer = dict(type='ParsingLocalVisualizer', vis_backends=vis_backends, name='visualizer',
                  alpha=0.6)
# log_processor (log lines by epoch or by iteration, as the train loop) is set by the schedules
log_level = 'INFO'
load_from = None
resume = False
# keeps left/right flip pairs of the training dataset in the model (flip test). A method's own
# hooks (clustering, dictionary projection) go under default_hooks keys, which mmengine's Runner
# registers whatever their names and which merge key by key through inheritance (a list such as
# custom_hooks is replaced whole): a config changes one argument of them without restating them.
custom_hooks = [dict(type='DatasetMetaHook')]
