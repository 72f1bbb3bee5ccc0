"""incref: can two cores lose a reference-count increment, and what does each fix cost?

The public API is small: build or load a scenario, check it under a memory model with a
refcount scheme, read the result object. Engines live behind it (`incref.checker`,
`incref.simulator`, `incref.hardware`).

    import incref
    result = incref.check("incref-race", model="tso", scheme="plain")
    result.verdict            # "violation": an increment can be lost
"""

__version__ = "0.1.0"

from incref.api import check  # noqa: E402
from incref.frontends import load_program  # noqa: E402
from incref.frontends.builder import Scenario  # noqa: E402

__all__ = ["Scenario", "check", "load_program", "__version__"]
