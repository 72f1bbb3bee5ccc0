"""Fixed scripts that an interpreter under test runs.

Each module here is a stand-alone program, run as `PYTHON -E -s probes/<name>.py ARGS`
where ARGS is one JSON object (the only input, parsed as data). It uses the standard
library only, so that any CPython 3.11+ (a free-threaded 3.13t/3.14t included) can run
it, and prints one JSON document on stdout. No code is ever built from user input:
`--python` chooses which interpreter runs these files, nothing more."""
