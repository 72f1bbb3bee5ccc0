"""Sequential consistency (Lamport, "How to make a multiprocessor computer that correctly
executes multiprocess programs", IEEE TC 1979), stated axiomatically as in herd7's
`sc.cat`: program order and communication never form a cycle. Read-modify-writes are two
events joined by `rmw`, so atomicity is its own axiom (no write between them in `co`)."""

SOURCE = "Lamport 1979; herd7 sc.cat (Alglave et al., TOPLAS 2014, section 4.3)"

TEXT = """
empty rmw & (fre ; coe) as atomicity
acyclic po | com as sc
"""
