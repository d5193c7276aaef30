"""Packaging for ratenet-plugin (RATE-Net for MMagic 1.x).

Like OpenMMLab packages, ``configs/`` and ``tools/`` are shipped inside the
package under ``ratenet_plugin/.mim`` so that ``mim train ratenet_plugin CONFIG``
finds them after a wheel or an editable install.
"""
import os
import os.path as osp
import shutil

from setuptools import find_packages, setup

ROOT = osp.dirname(osp.abspath(__file__))
MIM_DIRS = ('configs', 'tools', 'model-index.yml')


def read_version() -> str:
    namespace: dict = {}
    with open(osp.join(ROOT, 'ratenet_plugin', 'version.py')) as f:
        exec(f.read(), namespace)
    return namespace['__version__']


def add_mim_extension() -> None:
    """Expose configs/tools under ``ratenet_plugin/.mim``.

    Symlinks for editable installs (so edits show up), copies otherwise.
    """
    mim_root = osp.join(ROOT, 'ratenet_plugin', '.mim')
    os.makedirs(mim_root, exist_ok=True)
    for name in MIM_DIRS:
        src = osp.join(ROOT, name)
        dst = osp.join(mim_root, name)
        if not osp.exists(src):
            continue
        if osp.islink(dst) or osp.isfile(dst):
            os.remove(dst)
        elif osp.isdir(dst):
            shutil.rmtree(dst)
        try:
            os.symlink(osp.relpath(src, mim_root), dst)
        except OSError:
            if osp.isdir(src):
                shutil.copytree(src, dst)
            else:
                shutil.copyfile(src, dst)


def mim_package_data() -> list:
    """Every file under ``ratenet_plugin/.mim`` (through its symlinks),
    relative to the package. Listed one by one because setuptools < 62.3
    (openmim's dependencies pin 60.2) has no recursive ``**`` in
    ``package_data`` and would ship only ``.mim/*/*``."""
    package = osp.join(ROOT, 'ratenet_plugin')
    files = []
    for folder, dirs, names in os.walk(
            osp.join(package, '.mim'), followlinks=True):
        dirs[:] = [d for d in dirs if d != '__pycache__']
        files += [
            osp.relpath(osp.join(folder, name), package) for name in names
            if not name.endswith('.pyc')
        ]
    return sorted(files)


def read_requirements(name: str) -> list:
    with open(osp.join(ROOT, 'requirements', name)) as f:
        lines = (line.split('#')[0].strip() for line in f)
        return [line for line in lines if line]


add_mim_extension()

setup(
    name='ratenet_plugin',
    version=read_version(),
    description='RATE-Net pose-guided person image synthesis for MMagic 1.x',
    long_description=open(osp.join(ROOT, 'README.md')).read()
    if osp.exists(osp.join(ROOT, 'README.md')) else '',
    long_description_content_type='text/markdown',
    packages=find_packages(exclude=('tests', 'tests.*', 'configs', 'tools')),
    include_package_data=True,
    package_data={'ratenet_plugin': mim_package_data()},
    python_requires='>=3.10',
    install_requires=read_requirements('runtime.txt'),
    extras_require={
        'tests': read_requirements('tests.txt'),
        'demo': read_requirements('demo.txt'),
    },
    license='Apache License 2.0',
    zip_safe=False,
)
