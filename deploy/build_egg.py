"""Build the project egg scrapyd's ``addversion.json`` takes, without scrapyd-client.

    python deploy/build_egg.py [--out DIR] [--version VERSION] [--thin]

Prints the egg's path. It is built in a temporary copy, so the working tree gets no ``build/`` or
``*.egg-info`` litter. Dependencies are never in an egg: scrapyd's Python environment needs
``pip install talkwatch`` (or its requirements) first, as with any scrapyd deployment.

- full egg (default): the ``crawler`` and ``storage`` packages with their data files, and the ``scrapy``
  entry point (``settings = crawler.settings``) scrapyd uses to find the settings. scrapyd runs it as a
  *zip*: every data file must then be read with ``importlib.resources``, not ``Path(__file__)``.
- ``--thin``: only the entry point; the code is the ``talkwatch`` package installed in scrapyd's
  environment (``pip install talkwatch==X`` is the deployment, the egg names the project to scrapyd).
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("crawler", "storage")
SETUP = """\
from setuptools import find_packages, setup

setup(
    name="talkwatch",
    version={version!r},
    packages=find_packages(include=["crawler*", "storage*"]),
    include_package_data=True,
    package_data={{"": ["*.yaml", "*.yml", "*.html", "*.xml", "*.json", "*.txt", "*.ini", "*.mako", "**/*"]}},
    entry_points={{"scrapy": ["settings = crawler.settings"]}},
    zip_safe=False,
)
"""
THIN_SETUP = """\
from setuptools import setup

setup(name="talkwatch", version={version!r}, packages=[],
      entry_points={{"scrapy": ["settings = crawler.settings"]}})
"""


def build_egg(out_dir: Path, version: str | None = None, thin: bool = False) -> Path:
    version = version or time.strftime("%Y%m%d%H%M%S")
    out_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="talkwatch-egg-") as tmp:
        work = Path(tmp)
        for package in () if thin else PACKAGES:
            shutil.copytree(ROOT / package, work / package,
                            ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
        setup = (THIN_SETUP if thin else SETUP).format(version=version)
        (work / "setup.py").write_text(setup, encoding="utf-8")
        subprocess.run([sys.executable, "setup.py", "-q", "bdist_egg", "--dist-dir", str(work / "dist")],
                       cwd=work, check=True, capture_output=True, text=True)
        [egg] = (work / "dist").glob("*.egg")
        target = out_dir / egg.name
        shutil.copy2(egg, target)
    return target


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=ROOT / "var" / "eggs")
    parser.add_argument("--version")
    parser.add_argument("--thin", action="store_true", help="only the settings entry point (code installed)")
    args = parser.parse_args()
    print(build_egg(args.out, args.version, args.thin))


if __name__ == "__main__":
    main()
