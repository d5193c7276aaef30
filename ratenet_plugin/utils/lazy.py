"""Package attributes imported on first use (PEP 562).

A package ``__init__`` that imports every submodule makes importing any one
of them pay for all: ``import ratenet_plugin.apis.inferencer`` runs
``ratenet_plugin/__init__.py`` first. Names whose modules are slow to import
(MMagic's model zoo behind them) are listed instead, and
:func:`lazy_attributes` gives the package the ``__getattr__`` and
``__dir__`` that import them when they are first used::

    __getattr__, __dir__ = lazy_attributes(__name__, globals(), {
        'PosePix2Pix': '.editors.pose_pix2pix',   # a class of that module
        'evaluation': '.evaluation',              # the subpackage itself
    })
"""
import importlib
from typing import Any, Callable, Dict, List, Mapping, Tuple


def lazy_attributes(
    package: str, namespace: Dict[str, Any], attributes: Mapping[str, str]
) -> Tuple[Callable[[str], Any], Callable[[], List[str]]]:
    """``__getattr__`` and ``__dir__`` for the package ``package``.

    Args:
        package (str): The package's ``__name__``.
        namespace (dict): Its ``globals()`` (listed by ``__dir__``).
        attributes (dict): Name -> module that defines it, relative to
            ``package`` (``'.evaluation'``). A name equal to the module's last
            component is the module itself (a subpackage).

    Returns:
        tuple: ``(__getattr__, __dir__)``; ``__getattr__`` raises
        ``AttributeError`` for names not in ``attributes``.
    """

    def __getattr__(name: str) -> Any:
        if name not in attributes:
            raise AttributeError(
                f'module {package!r} has no attribute {name!r}')
        module = importlib.import_module(attributes[name], package)
        if module.__name__.rpartition('.')[2] == name:
            return module
        return getattr(module, name)

    def __dir__() -> List[str]:
        return sorted(set(namespace) | set(attributes))

    return __getattr__, __dir__
