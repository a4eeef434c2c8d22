"""What the monitor tests read of processes in /proc: a monitor's children, and whether a pid lives."""

from __future__ import annotations

from pathlib import Path


def children(pid: int, argv_contains: bytes | None = None) -> list[int]:
    """The pids whose parent is ``pid`` (only those with ``argv_contains`` in their command line)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            argv = (entry / "cmdline").read_bytes().split(b"\0") if argv_contains else []
        except (OSError, ValueError, IndexError):
            continue
        if ppid == pid and (argv_contains is None or argv_contains in argv):
            found.append(int(entry.name))
    return found


def alive(pid: int) -> bool:
    """True while ``pid`` runs (a zombie, dead but not reaped, is not alive)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] not in ("Z", "X")
