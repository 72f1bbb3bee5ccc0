"""incref: can two cores lose a reference-count increment, and what does each fix cost?

The public API is small: build or load a scenario, check it under a memory model with a
refcount scheme, read the result object. Engines live behind it (`incref.checker`,
`incref.simulator`, `incref.hardware`).

    import incref
    result = incref.check("incref-race", model="tso", scheme="plain")
    result.verdict            # "violation": an increment can be lost
"""

__version__ = "0.1.0"

__all__ = ["Scenario", "check", "load_program", "__version__"]

# The API is imported on first use, so that `incref --help` and short commands do not pay
# for the grammar library and the engines at start-up (PEP 562 module __getattr__).
_LAZY = {
    "check": "incref.api",
    "load_program": "incref.frontends",
    "Scenario": "incref.frontends.builder",
}


def __getattr__(name: str):
    if name in _LAZY:
        from importlib import import_module

        value = getattr(import_module(_LAZY[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'incref' has no attribute {name!r}")
