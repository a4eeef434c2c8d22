"""A process's peak resident memory, for the crawl stats and the benchmark."""

from __future__ import annotations

import resource


def peak_rss_mb() -> float:
    """This process's peak resident memory in MB. Read from /proc where it can: ``ru_maxrss`` of a process
    started by fork and exec counts the parent's memory at the fork too."""
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
