"""Packaging for `pip install -e .`: metadata comes from settings.ini (nbdev 2's single source)."""
from configparser import ConfigParser
from setuptools import find_packages, setup

cfg = ConfigParser(delimiters=["="])
cfg.read("settings.ini", encoding="utf-8")
c = cfg["DEFAULT"]
setup(
    name=c["lib_name"],
    version=c["version"],
    description=c["description"],
    author=c["author"],
    license="Apache-2.0",
    url=c["git_url"],
    packages=find_packages(include=[c["lib_path"], c["lib_path"] + ".*"]),
    python_requires=">=" + c["min_python"],
    install_requires=c.get("requirements", "").split(),
    long_description=open("README.md", encoding="utf-8").read() if __import__("os").path.exists("README.md") else "",
    long_description_content_type="text/markdown",
    zip_safe=False,
)
