import mmseg.visualization  # noqa: F401  (parent registry content)
