import datetime
import warnings

from mmengine import DefaultScope


def register_all_modules(init_default_scope: bool = True) -> None:
    """Register every hp_mm module (and mmseg's, its parent) in the registries.

    Args:
        init_default_scope (bool): Whether to set the default scope to ``hp_mm``
            so that ``type='X'`` is looked up in hp_mm first, then in mmseg.
            Defaults to True.
    """
    import hp_mm.apis  # noqa: F401,F811
    import hp_mm.datasets  # noqa: F401,F811
    import hp_mm.engine  # noqa: F401,F811
    import hp_mm.evaluation  # noqa: F401,F811
    import hp_mm.models  # noqa: F401,F811
    import hp_mm.visualization  # noqa: F401,F811

    if init_default_scope:
        never_created = DefaultScope.get_current_instance() is None \
            or not DefaultScope.check_instance_created('hp_mm')
        if never_created:
            DefaultScope.get_instance('hp_mm', scope_name='hp_mm')
            return
        current_scope = DefaultScope.get_current_instance()
        if current_scope.scope_name != 'hp_mm':
            warnings.warn('The current default scope '
                          f'"{current_scope.scope_name}" is not "hp_mm", '
                          '`register_all_modules` will force the current '
                          'default scope to be "hp_mm". If this is not '
                          'expected, please set `init_default_scope=False`.')
            new_instance_name = f'hp_mm-{datetime.datetime.now()}'
            DefaultScope.get_instance(new_instance_name, scope_name='hp_mm')
