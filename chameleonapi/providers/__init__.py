"""Provider registry: one instrumentor per SDK, imported lazily by name."""

from __future__ import annotations

from importlib import import_module

from chameleonapi.providers.base import Instrumentor

# provider name -> "module:Class"; modules import their SDK lazily (on patch), never here.
PROVIDERS: dict[str, str] = {
    "google": "chameleonapi.providers.google_vision:GoogleVisionInstrumentor",
    "azure": "chameleonapi.providers.azure:AzureInstrumentor",
    "aws": "chameleonapi.providers.aws_rekognition.patch:RekognitionInstrumentor",
}

_instances: dict[str, Instrumentor] = {}


def get_instrumentor(name: str) -> Instrumentor:
    if name not in PROVIDERS:
        raise ValueError(f"unknown provider {name!r}; known: {', '.join(PROVIDERS)}")
    if name not in _instances:
        module, _, cls = PROVIDERS[name].partition(":")
        _instances[name] = getattr(import_module(module), cls)()
    return _instances[name]


def available() -> list[str]:
    """Providers whose instrumentor module exists in this installation."""
    names = []
    for name, target in PROVIDERS.items():
        try:
            import_module(target.partition(":")[0])
        except ImportError:
            continue
        names.append(name)
    return names
