"""A config mistake named by the config key it came from.

Our constructors check their arguments (:mod:`ratenet_plugin.utils.
arguments`), MMEngine's registries raise for a ``type`` they do not hold and
Python for a keyword a class does not take; inside
:func:`naming_config_keys` each becomes one :class:`UserInputError` naming
the key, the config file and, for a typo, the closest valid name, e.g.
``config key model.lamda_recon (in my_config.py): RATENet takes no argument
'lamda_recon' (did you mean lambda_recon?)``. The tools print it as one
``error:`` line (docs/bad_inputs.md).
"""
import difflib
import inspect
import re
from contextlib import contextmanager
from typing import Any, Iterator, List, Optional, Sequence

from mmengine.config import Config
from mmengine.registry import Registry

from ratenet_plugin.fileio.errors import UserInputError
from ratenet_plugin.utils.arguments import ConfigValueError


def config_keys(cfg: Any, argument: str, value: Any,
                prefix: str = '') -> List[str]:
    """The dotted keys of ``cfg`` whose last part is ``argument`` and whose
    value is ``value`` (e.g. ``model.generator.pose_transfer.base_channels``);
    list items appear as ``key.<index>``."""
    if isinstance(cfg, dict):
        items = cfg.items()
    elif isinstance(cfg, (list, tuple)):
        items = ((str(i), item) for i, item in enumerate(cfg))
    else:
        return []
    found = []
    for key, item in items:
        dotted = f'{prefix}{key}'
        # ``is True``: an array compared with == gives no single answer.
        if key == argument and (item == value) is True:
            found.append(dotted)
        found += config_keys(item, argument, value, dotted + '.')
    return found


#: Python's message for a keyword a constructor does not take.
UNEXPECTED_KEYWORD = re.compile(
    r"(\w+)\.__init__\(\) got an unexpected keyword argument '(\w+)'")
#: MMEngine's message for a ``type`` its registry does not hold.
UNKNOWN_TYPE = re.compile(r"(\w+) is not in the (\w+)::(\w+) registry")


def typed_config_keys(cfg: Any, type_name: str, argument: str,
                      prefix: str = '') -> List[str]:
    """The dotted keys ``<node>.<argument>`` of ``cfg`` whose node is built
    as ``type_name`` or as a registered subclass of it (a class that passes
    its keyword arguments on, e.g. ``PosePix2Pix`` to MMagic's
    ``BaseTranslationModel``, whose name the ``TypeError`` gives)."""
    if isinstance(cfg, dict):
        items = list(cfg.items())
        node_type = cfg.get('type')
    elif isinstance(cfg, (list, tuple)):
        items, node_type = [(str(i), item) for i, item in enumerate(cfg)], None
    else:
        return []
    found = [f'{prefix}{argument}'] \
        if argument in cfg and _builds(node_type, type_name) else []
    for key, item in items:
        found += typed_config_keys(item, type_name, argument,
                                   f'{prefix}{key}.')
    return found


def _builds(node_type: Any, type_name: str) -> bool:
    """Whether a ``type`` (a name or a class) is ``type_name`` or one of
    its subclasses."""
    if node_type is None:
        return False
    cls = node_type if isinstance(node_type, type) else _registered_class(
        node_type)
    if cls is None:
        return node_type == type_name
    return any(base.__name__ == type_name for base in cls.__mro__)


#: How every message ends: what to do about it.
FIX = 'fix the config or --cfg-options'


def _registries() -> Iterator[Registry]:
    """The registries of ``mmagic.registry``: MMagic's, where ours
    register, and the MMEngine ones it re-exports."""
    import mmagic.registry as registries
    for attribute in dir(registries):
        registry = getattr(registries, attribute)
        if isinstance(registry, Registry):
            yield registry


def _did_you_mean(name: str, candidates: Sequence[str]) -> str:
    """`` (did you mean <closest>?)``, or nothing if none is close."""
    close = difflib.get_close_matches(name, candidates, n=1)
    return f' (did you mean {close[0]}?)' if close else ''


def unknown_type_error(cfg: Config,
                       error: KeyError) -> Optional[UserInputError]:
    """A ``type`` that no registry holds (a typo such as
    ``type='PoseTransferModul'``) as a :class:`UserInputError` naming the
    config key and the closest registered type; None when the config has
    no such ``type`` (not the user's mistake)."""
    match = UNKNOWN_TYPE.search(str(error))
    if match is None:
        return None
    type_name, scope, registry_name = match.groups()
    keys = config_keys(cfg.to_dict(), 'type', type_name)
    if not keys:
        return None
    known = []
    for registry in _registries():
        if (registry.scope, registry.name) == (scope, registry_name):
            registry.import_from_location()
            known = list(registry.module_dict)
            break
    return UserInputError(
        f'config key {" or ".join(keys)}={type_name!r}{_in_file(cfg)}: no '
        f'{registry_name} of that type is registered'
        f'{_did_you_mean(type_name, known)}; {FIX} (or add the module that '
        'registers it to custom_imports)')


def _registered_class(type_name: str) -> Optional[type]:
    """The class registered as ``type_name`` in the first of MMagic's
    registries that holds it; None if none does."""
    for registry in _registries():
        cls = registry.get(type_name) if registry.scope == 'mmagic' else None
        if cls is not None:
            return cls
    return None


def constructor_arguments(cls: Optional[type]) -> List[str]:
    """The keyword arguments ``cls`` and the classes it passes ``**kwargs``
    on to take; [] without a class."""
    names: List[str] = []
    for base in (cls.__mro__ if cls is not None else ()):
        try:
            parameters = inspect.signature(base.__init__).parameters.values()
        except (TypeError, ValueError):  # no signature to read
            continue
        names += [
            p.name for p in parameters if p.name not in ('self', *names)
            and p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)
        ]
        if not any(p.kind == p.VAR_KEYWORD for p in parameters):
            break
    return names


def unknown_argument_error(cfg: Config,
                           error: TypeError) -> Optional[UserInputError]:
    """A config key that names an argument its ``type`` does not take (a
    typo such as ``model.lamda_recon``) as a :class:`UserInputError` naming
    the key and the closest argument; None when the ``TypeError`` is not
    that (no key of that name under a node of that type: a bug)."""
    match = UNEXPECTED_KEYWORD.search(str(error))
    if match is None:
        return None
    type_name, argument = match.groups()
    config = cfg.to_dict()
    keys = typed_config_keys(config, type_name, argument)
    if not keys:
        return None
    # Named by the config's type (a subclass may pass the key on to the
    # class the TypeError names).
    node_type = _node_at(config, keys[0].rsplit('.', 1)[0]).get('type') \
        if '.' in keys[0] else config.get('type')
    cls = node_type if isinstance(node_type, type) else _registered_class(
        node_type) if node_type else None
    shown = getattr(node_type, '__name__', node_type) or type_name
    hint = _did_you_mean(argument, constructor_arguments(cls))
    return UserInputError(
        f'config key {" or ".join(keys)}{_in_file(cfg)}: {shown} takes '
        f'no argument {argument!r}{hint}; {FIX}')


def _node_at(config: dict, dotted: str) -> dict:
    """The node of ``config`` at a dotted key (list items by index)."""
    node: Any = config
    for part in dotted.split('.'):
        node = node[int(part)] if isinstance(node, (list, tuple)) else \
            node[part]
    return node


def _in_file(cfg: Config) -> str:
    """`` (in <config file>)``, or nothing for a config built in memory."""
    return f' (in {cfg.filename})' if cfg.filename else ''


@contextmanager
def naming_config_keys(cfg: Config) -> Iterator[None]:
    """Re-raise a :class:`ConfigValueError` from a constructor with the
    config key(s) it came from, e.g. ``config key train_cfg.max_iters='ten'
    (in my_config.py): expected a positive integer``; and a config key that
    its ``type`` does not take (:func:`unknown_argument_error`), e.g.
    ``config key model.lamda_recon (in my_config.py): RATENet takes no
    argument 'lamda_recon' (did you mean lambda_recon?)``; and a ``type``
    no registry holds (:func:`unknown_type_error`)."""
    try:
        yield
    except ConfigValueError as error:
        keys = config_keys(cfg.to_dict(), error.argument, error.value)
        where = ' or '.join(keys) if keys else error.argument
        raise UserInputError(
            f'config key {where}={error.value!r}{_in_file(cfg)}: expected '
            f'{error.expected}; {FIX}') from error
    except TypeError as error:
        mistake = unknown_argument_error(cfg, error)
        if mistake is None:
            raise
        raise mistake from error
    except KeyError as error:
        mistake = unknown_type_error(cfg, error)
        if mistake is None:
            raise
        raise mistake from error
