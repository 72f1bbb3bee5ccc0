"""The cache-coherence simulator: the scenario on cores with private coherent caches and
store buffers (`machine`), protocols as tables (`protocols`), every interleaving with SWMR
and the data-value invariant checked in every state (`exhaustive`), cycles and traffic
(`timed`), and the line-level story of a lost update (`explain`). See docs/COHERENCE.md."""
