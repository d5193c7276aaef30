"""One config builds plugin and MMagic components side by side, and
`import ratenet_plugin` registers all of ours (some on first lookup)."""
import json
import subprocess
import sys

import torch
from mmengine.config import Config
from mmengine.registry import Registry, init_default_scope

import ratenet_plugin  # noqa: F401
from ratenet_plugin.registry import (LOOPS, METRICS, MODELS, TRANSFORMS,
                                     register_lazily)
from tests.conftest import REPO_ROOT

CONFIG_TEXT = '''
default_scope = 'mmagic'
custom_imports = dict(imports=['ratenet_plugin'], allow_failed_imports=False)
model = dict(
    type='RATENet',
    generator=dict(
        type='RATEGenerator',
        pose_transfer=dict(type='PoseTransferModule', base_channels=4,
                           num_blocks=1)),
    shape_discriminator=dict(type='PoseShapeDiscriminator',
                             base_channels=4, num_res_blocks=1),
    appearance_discriminator=dict(type='AppearanceDiscriminator',
                                  base_channels=4, num_res_blocks=1),
    # MMagic's PerceptualLoss class is not used (it downloads); ours is.
    perceptual_loss=dict(type='VGG19PerceptualLoss',
                         layer_weights=dict(relu1_1=1.0), pretrained=None))
# An MMagic network and loss next to ours.
discriminator = dict(type='PatchDiscriminator', in_channels=21,
                     base_channels=8, num_conv=2)
gan_loss = dict(type='GANLoss', gan_type='lsgan')
metrics = [dict(type='SSIM'), dict(type='PaddedSSIM')]
transforms = [dict(type='GeneratePoseHeatmap'), dict(type='PackInputs')]
'''


def test_plugin_and_mmagic_components_build_from_one_config(tmp_path):
    path = tmp_path / 'mixed.py'
    path.write_text(CONFIG_TEXT)
    cfg = Config.fromfile(str(path))
    init_default_scope(cfg.default_scope)

    model = MODELS.build(cfg.model)
    assert type(model).__name__ == 'RATENet'
    assert type(model.shape_discriminator).__module__.startswith(
        'ratenet_plugin.')
    patch = MODELS.build(cfg.discriminator)
    gan_loss = MODELS.build(cfg.gan_loss)
    assert type(patch).__module__.startswith('mmagic.')
    assert type(gan_loss).__module__.startswith('mmagic.')
    score = patch(torch.zeros(1, 21, 32, 32))
    assert torch.isfinite(gan_loss(score, target_is_real=True))

    ssim, padded_ssim = (METRICS.build(m) for m in cfg.metrics)
    assert type(ssim).__module__.startswith('mmagic.')
    assert type(padded_ssim).__module__.startswith('ratenet_plugin.')
    heatmap, pack = (TRANSFORMS.build(t) for t in cfg.transforms)
    assert type(heatmap).__module__.startswith('ratenet_plugin.')
    assert type(pack).__module__.startswith('mmagic.')
    assert LOOPS.get('RATELoop').__module__.startswith('ratenet_plugin.')


# Prints, as JSON, for each of MMagic's registries the names it (or its
# MMEngine parent) resolves to classes of ratenet_plugin, with the classes'
# modules. With argument 'all' every module of the package is imported
# first. Otherwise only `import ratenet_plugin` runs, and for the names of
# the argument (that JSON) it prints which are neither registered yet nor
# defined under one of the registry's import locations ('unreachable'),
# then looks them up as a config does (default scope 'mmagic'). 'lazy': our
# modules `import ratenet_plugin` left to the first lookup.
REGISTERED_NAMES = '''
import importlib, json, pkgutil, sys
import mmagic.registry as registries
from mmengine.registry import Registry, init_default_scope
import ratenet_plugin

LAZY = ('ratenet_plugin.evaluation', 'ratenet_plugin.models.losses',
        'ratenet_plugin.models.editors.pose_pix2pix')
registries = {name: registry for name, registry in vars(registries).items()
              if isinstance(registry, Registry)}


def ours(registry):
    tables = (registry, registry.parent) if registry.parent else (registry,)
    return {key: cls.__module__ for table in tables
            for key, cls in table.module_dict.items()
            if cls.__module__.startswith('ratenet_plugin.')}


result = dict(lazy=[name for name in LAZY if name not in sys.modules])
if sys.argv[1] == 'all':
    for module in pkgutil.walk_packages(ratenet_plugin.__path__,
                                        'ratenet_plugin.'):
        importlib.import_module(module.name)
    result['found'] = {name: ours(registry)
                       for name, registry in registries.items()}
else:
    expected = json.loads(sys.argv[1])
    result['unreachable'] = {
        name: sorted(
            key for key, module in names.items()
            if key not in ours(registries[name]) and not any(
                module == location or module.startswith(location + '.')
                for location in registries[name]._locations))
        for name, names in expected.items()}
    init_default_scope('mmagic')
    result['found'] = {
        name: {key: registries[name].get(key).__module__ for key in names}
        for name, names in expected.items()}
print(json.dumps(result))
'''


def _registered_names(argument: str) -> dict:
    result = subprocess.run(
        [sys.executable, '-c', REGISTERED_NAMES, argument], cwd=REPO_ROOT,
        capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr[-3000:]
    return json.loads(result.stdout.splitlines()[-1])


def test_import_registers_every_component_for_configs():
    """`import ratenet_plugin` (a config's custom_imports) is enough for
    every name the package registers: what registers slowly (our metrics,
    PosePix2Pix, VGG19PerceptualLoss) is imported by the first lookup in
    its own registry, the rest at once."""
    everything = _registered_names('all')['found']
    assert 'LPIPS' in everything['METRICS']
    assert 'ResultsReportHook' in everything['HOOKS']
    assert {'RATENet', 'PosePix2Pix'} <= set(everything['MODELS'])
    assert 'StrictPretrained' in everything['WEIGHT_INITIALIZERS']
    plugin_only = _registered_names(json.dumps(everything))
    assert plugin_only['lazy'] == [
        'ratenet_plugin.evaluation', 'ratenet_plugin.models.losses',
        'ratenet_plugin.models.editors.pose_pix2pix'
    ]
    unreachable = {
        name: names
        for name, names in plugin_only['unreachable'].items() if names
    }
    assert unreachable == {}
    assert plugin_only['found'] == everything


#: A registry made without locations, as MMEngine's own and most plugins'
#: are (they share MMEngine's default ``locations`` list).
LAZY_THINGS = Registry('lazy thing', scope='ratenet_lazy_test')
LAZY_MODULE = """
from tests.test_registry import LAZY_THINGS


@LAZY_THINGS.register_module()
class LazyThing:
    pass
"""


def test_register_lazily_imports_on_first_lookup_only_there(
        tmp_path, monkeypatch):
    """The module is imported by the first lookup in its registry, and
    becomes a location of that registry only."""
    (tmp_path / 'ratenet_lazy_thing.py').write_text(LAZY_MODULE)
    monkeypatch.syspath_prepend(str(tmp_path))
    bystander = Registry('other thing', scope='ratenet_lazy_bystander')
    register_lazily(LAZY_THINGS, 'ratenet_lazy_thing')
    assert 'ratenet_lazy_thing' not in sys.modules
    assert bystander._locations == []
    assert LAZY_THINGS.get('LazyThing').__module__ == 'ratenet_lazy_thing'
    monkeypatch.delitem(sys.modules, 'ratenet_lazy_thing')
