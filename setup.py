"""Packaging for `pip install .`, `pip install -e .` and `pip wheel .`: every piece of metadata comes from
settings.ini (nbdev 2's single source); pyproject.toml names only the build system.

The distribution is `dist_name` (mytorch-course: `mytorch` on the package index is an unrelated 2018 project),
the import name is `lib_name` (mytorch). tests/test_release.py builds a wheel and checks what lands in it."""
from configparser import ConfigParser
from pathlib import Path

import setuptools
from setuptools import find_packages, setup

ROOT = Path(__file__).resolve().parent
cfg = ConfigParser(delimiters=["="])
cfg.read(ROOT / "settings.ini", encoding="utf-8")
c = cfg["DEFAULT"]

LICENSES = {"apache2": "Apache-2.0"}  # nbdev's license key -> SPDX expression
STATUSES = ["1 - Planning", "2 - Pre-Alpha", "3 - Alpha", "4 - Beta", "5 - Production/Stable", "6 - Mature"]
PYTHONS = ["3.10", "3.11", "3.12", "3.13"]  # the classifiers claim min_python .. the newest listed here

spdx = LICENSES[c["license"]]
status = next(s for s in STATUSES if s.startswith(c["status"] + " "))
classifiers = [
    f"Development Status :: {status}",
    f"Intended Audience :: {c['audience']}",
    f"Natural Language :: {c['language']}",
    "Programming Language :: Python :: 3",
    "Programming Language :: Python :: 3 :: Only",
    *(f"Programming Language :: Python :: {v}" for v in PYTHONS[PYTHONS.index(c["min_python"]):]),
    *c.get("classifiers", "").strip().splitlines(),
]
# PEP 639 (setuptools >= 77, which pyproject.toml asks for): `License-Expression: Apache-2.0`. An older setuptools,
# as `pip install --no-build-isolation` may use, gets the same SPDX string in the old `License` field.
license_kw = {"license_expression": spdx} if int(setuptools.__version__.split(".")[0]) >= 77 else {"license": spdx}
git_url = c["git_url"].rstrip("/")

setup(
    name=c["dist_name"],
    version=c["version"],
    description=c["description"],
    long_description=(ROOT / "README.md").read_text(encoding="utf-8"),
    long_description_content_type="text/markdown",
    author=c["author"],
    author_email=c["author_email"],
    **license_kw,
    license_files=["LICENSE"],
    keywords=c["keywords"].split(),
    classifiers=[s.strip() for s in classifiers if s.strip()],
    project_urls={
        "Book": c["doc_host"].rstrip("/") + c["doc_baseurl"],
        "Source": git_url,
        "Issues": git_url + "/issues",
        "Changelog": f"{git_url}/blob/{c['branch']}/CHANGELOG.md",
    },
    packages=find_packages(include=[c["lib_path"], c["lib_path"] + ".*"]),
    python_requires=">=" + c["min_python"],
    install_requires=c.get("requirements", "").split(),
    zip_safe=False,
)
