"""incref: can two cores lose a reference-count increment, and what does each fix cost?

The public API is small: build or load a scenario, check it under a memory model with a
refcount scheme, read the result object. Engines live behind it (`incref.checker`,
`incref.simulator`, `incref.hardware`)."""

__version__ = "0.1.0"
