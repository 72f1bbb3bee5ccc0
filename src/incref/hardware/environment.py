"""The machine a number was measured on, recorded with every hardware result.

After pyperf's metadata (psf/pyperf, `pyperf/_collect_metadata.py`): a measurement
without its CPU, core count, compiler and flags, kernel and Python cannot be compared
with another one, so every `RunResult` and benchmark carries this dictionary."""

from __future__ import annotations

import os
import platform
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from incref.hardware.compile import Compiler


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.lower().startswith(("model name", "hardware", "cpu model")):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def _hypervisor() -> bool:
    try:
        return " hypervisor" in Path("/proc/cpuinfo").read_text()
    except OSError:
        return False


def collect(compiler: Compiler | None = None) -> dict[str, Any]:
    usable = sorted(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else None
    gil = getattr(sys, "_is_gil_enabled", None)
    env: dict[str, Any] = {
        "cpu_model": cpu_model(),
        "machine": platform.machine(),
        "cpu_count": os.cpu_count(),
        "usable_cpus": usable,
        "virtualised": _hypervisor(),
        "kernel": f"{platform.system()} {platform.release()}",
        "python": f"{platform.python_implementation()} {platform.python_version()}",
        "python_gil": None if gil is None else bool(gil()),
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
    }
    if compiler is not None:
        env["compiler"] = " ".join(compiler.argv)
        env["compiler_version"] = compiler.version
        env["cflags"] = " ".join(compiler.flags)
    return env


def summary(env: dict[str, Any]) -> str:
    """One line for a table caption."""
    parts = [env.get("cpu_model", "?"), f"{len(env.get('usable_cpus') or []) or env.get('cpu_count')} cores"]
    if env.get("virtualised"):
        parts.append("virtualised")
    parts += [env.get("kernel", ""), env.get("python", "")]
    if env.get("compiler_version"):
        parts.append(f"{env['compiler_version']} {env.get('cflags', '')}")
    return ", ".join(p for p in parts if p)
