"""What this machine offers for RATE-Net, checked without importing it.

    python tools/env_report.py [--out env.json]

Reports the interpreter, torch (version, CUDA/cuDNN, devices, bf16 support,
the CPU's SIMD level), numpy, and for each pinned OpenMMLab package whether it
is installed in our locked version (requirements/constraints.txt) and whether
it imports: mmcv with its compiled ops (``mmcv._ext``), mmengine, mmagic with
its model zoo, datasets and metrics (``mmagic.models`` imports mmcv's ops,
diffusers and transformers) and ratenet_plugin. Needs only the standard
library and torch, so it runs on a machine whose Python, torch or numpy
differ from our lock (tools/gpu_check.sh runs it first). Exit status 0 when
everything training needs imports (``mmcv._ext`` possibly as the stand-in of
tools/run_unpinned.py, when run through it), 1 otherwise.
"""
import argparse
import importlib
import importlib.metadata
import json
import os.path as osp
import platform
import re
import sys
from typing import Dict, Optional

REPO_ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
#: Modules the training and benchmark tools need, in import order.
NEEDED = ('torch', 'numpy', 'mmengine', 'mmcv', 'mmcv._ext', 'mmagic',
          'mmagic.models', 'mmagic.datasets', 'mmagic.evaluation',
          'ratenet_plugin')
#: The import status of ``mmcv._ext`` replaced by tools/run_unpinned.py.
STANDIN = 'stand-in (tools/run_unpinned.py): compiled ops not built'


def locked_versions(path: str) -> Dict[str, str]:
    """``name -> version`` of the ``name==version`` lines of a constraints
    file (names lower-case)."""
    pins = {}
    with open(path) as f:
        for line in f:
            match = re.match(r'^([A-Za-z0-9_.-]+)==([^\s;#]+)', line)
            if match:
                pins[match.group(1).lower()] = match.group(2)
    return pins


def installed_version(name: str) -> Optional[str]:
    try:
        return importlib.metadata.version(name)
    except importlib.metadata.PackageNotFoundError:
        return None


def import_status(module: str) -> str:
    """'ok', :data:`STANDIN` or the first line of the error importing
    ``module``."""
    try:
        imported = importlib.import_module(module)
    except Exception as error:  # noqa: BLE001: any failure is the report
        return f'{type(error).__name__}: {str(error).splitlines()[0]}'[:300]
    return STANDIN if getattr(imported, 'IS_STANDIN', False) else 'ok'


def _native_bf16(torch) -> bool:
    """fast_paths.native_cuda_bf16's rule (this tool imports no part of
    ratenet_plugin): bf16 computed natively, not emulated (T4, V100)."""
    try:
        return torch.cuda.is_bf16_supported(including_emulation=False)
    except TypeError:  # a torch without the argument
        return torch.cuda.get_device_capability()[0] >= 8


def torch_report() -> dict:
    import torch
    report = dict(
        version=torch.__version__,
        cuda_build=torch.version.cuda,
        cpu_capability=torch.backends.cpu.get_cpu_capability(),
        cuda_available=torch.cuda.is_available(),
        num_threads=torch.get_num_threads())
    if torch.cuda.is_available():
        report.update(
            cudnn=torch.backends.cudnn.version(),
            devices=[
                dict(
                    name=torch.cuda.get_device_name(i),
                    capability='.'.join(
                        map(str, torch.cuda.get_device_capability(i))),
                    memory_gib=round(
                        torch.cuda.get_device_properties(i).total_memory /
                        2**30, 1)) for i in range(torch.cuda.device_count())
            ],
            bf16_supported=_native_bf16(torch))
    return report


def collect() -> dict:
    sys.path.insert(0, REPO_ROOT)
    pins = locked_versions(
        osp.join(REPO_ROOT, 'requirements', 'constraints.txt'))
    packages = {}
    for name in ('torch', 'torchvision', 'numpy', 'mmengine', 'mmcv',
                 'mmcv-lite', 'mmagic', 'diffusers', 'transformers',
                 'huggingface-hub', 'tokenizers', 'opencv-python'):
        packages[name] = dict(
            installed=installed_version(name), locked=pins.get(name))
    return dict(
        python=sys.version.split()[0],
        platform=platform.platform(),
        processor=_cpu_model(),
        torch=torch_report() if import_status('torch') == 'ok' else None,
        packages=packages,
        imports={module: import_status(module) for module in NEEDED})


def _cpu_model() -> str:
    try:
        with open('/proc/cpuinfo') as f:
            for line in f:
                if line.startswith('model name'):
                    return line.split(':', 1)[1].strip()
    except OSError:
        pass
    return platform.processor()


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--out', help='also write the report as JSON here')
    args = parser.parse_args(argv)
    report = collect()
    text = json.dumps(report, indent=2)
    print(text)
    if args.out:
        with open(args.out, 'w') as f:
            f.write(text + '\n')
    usable = ('ok', STANDIN)
    return 0 if all(v in usable for v in report['imports'].values()) else 1


if __name__ == '__main__':
    sys.exit(main())
