"""pyproject.toml and environment.yml must name the same packages at the same versions."""
import re
import tomllib

import pytest
import yaml

from conftest import ROOT

# conda-forge names that differ from PyPI names
CONDA_NAME = {"torch": "pytorch"}


def _pins_from_requirements(reqs: list[str]) -> dict[str, str]:
    pins = {}
    for req in reqs:
        m = re.fullmatch(r"\s*([A-Za-z0-9_.\-]+)\s*==\s*([^\s;,]+)\s*", req)
        if not m:
            raise AssertionError(f"pyproject requirement {req!r} is not pinned with ==")
        pins[m.group(1).lower()] = m.group(2)
    return pins


def pyproject_pins(text: str) -> dict[str, str]:
    project = tomllib.loads(text)["project"]
    reqs = list(project["dependencies"])
    for extra in project.get("optional-dependencies", {}).values():
        reqs.extend(extra)
    return _pins_from_requirements(reqs)


def environment_pins(text: str) -> dict[str, str]:
    env = yaml.safe_load(text)
    pins = {}
    for dep in env["dependencies"]:
        if isinstance(dep, dict):  # the pip: section
            for req in dep.get("pip", []):
                m = re.fullmatch(r"([A-Za-z0-9_.\-]+)==(\S+)", req.strip())
                if m:
                    pins[m.group(1).lower()] = m.group(2)
            continue
        name, _, version = dep.partition("=")
        if name not in ("python", "pip"):
            pins[name.lower()] = version.lstrip("=")
    return pins


def drift(pyproject_text: str, environment_text: str) -> list[str]:
    """Human-readable differences; empty when the two files agree."""
    py, env = pyproject_pins(pyproject_text), environment_pins(environment_text)
    problems = []
    for name, version in sorted(py.items()):
        conda = env.get(name, env.get(CONDA_NAME.get(name, name)))
        if conda is None:
            problems.append(f"{name}=={version} is in pyproject.toml but not in environment.yml")
        elif conda != version:
            problems.append(f"{name}: pyproject.toml pins {version}, environment.yml {conda}")
    known = set(py) | {CONDA_NAME.get(n, n) for n in py}
    for name in sorted(set(env) - known):
        problems.append(f"{name} is in environment.yml but not in pyproject.toml")
    return problems


def test_environment_matches_pyproject():
    problems = drift((ROOT / "pyproject.toml").read_text(), (ROOT / "environment.yml").read_text())
    assert problems == [], "\n".join(problems)


def test_environment_installs_rnnviz_itself():
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    pip = next(d["pip"] for d in env["dependencies"] if isinstance(d, dict))
    assert "-e ." in pip


def test_drift_is_detected():
    """The check above can fail: a changed version or a missing package is reported."""
    py = (ROOT / "pyproject.toml").read_text()
    env = (ROOT / "environment.yml").read_text()
    assert drift(py, env.replace("plotly=7.1.0", "plotly=7.0.0")) == [
        "plotly: pyproject.toml pins 7.1.0, environment.yml 7.0.0"
    ]
    assert any("tqdm" in p for p in drift(py, env.replace("  - tqdm=4.70.1\n", "")))
    with pytest.raises(AssertionError, match="not pinned"):
        pyproject_pins(py.replace('"numpy==2.4.6"', '"numpy>=2"'))


def test_installed_versions_are_the_pinned_ones():
    from importlib.metadata import version

    for name, pinned in pyproject_pins((ROOT / "pyproject.toml").read_text()).items():
        assert version(name).split("+")[0] == pinned, f"{name}: installed {version(name)}, pinned {pinned}"
