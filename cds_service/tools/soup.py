"""The SOUP list (IEC 62304 "software of unknown provenance"): every locked package, why it is here.

Read from `requirements.lock` (the `# via` comments tell who needs each package) and
`pyproject.toml` (which direct dependencies the product runs with, which only the tests).
Purposes of the direct dependencies are written by hand in the traceability matrix
(`[soup.purpose]`); a transitive package is "dependency of X". Known vulnerabilities come
from the Python Package Index's JSON API when it can be reached; offline, or on any error,
the list says so per package and in its header, and is still produced.

`safety-report --check` compares the list's packages and versions with the lock
(`soup_gaps`), so a changed lock cannot be released with a stale list.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any, Mapping

import httpx

from ..errors import InputError

PROJECT = "igsub-cds"
INDEX = "https://pypi.org/pypi"
TIMEOUT_S = 10.0


@dataclass(frozen=True)
class Package:
    name: str
    version: str
    via: tuple[str, ...]

    @property
    def direct(self) -> bool:
        return any(v.startswith(PROJECT) for v in self.via)


@dataclass(frozen=True)
class Vulnerabilities:
    """What the index said about one package version: `found` (ids with fixes), or why it could not tell."""

    found: tuple[str, ...] = ()
    checked: bool = False
    why_not: str = ""


def _normal(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def read_lock(path: Path) -> list[Package]:
    """Packages pinned in a pip-compile/uv lock file, with the `# via` parents of each."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise InputError(f"cannot read {path}: {exc.strerror or exc}") from None
    packages: list[tuple[str, str, list[str]]] = []
    listing = False
    for line in lines:
        stripped = line.strip()
        if not stripped:
            continue
        if not line[0].isspace() and not stripped.startswith(("#", "-")):
            match = re.match(r"^([A-Za-z0-9][A-Za-z0-9._-]*)(?:\[[^\]]*\])?==([^\s;\\]+)", stripped)
            if match is None:
                raise InputError(f"{path}: cannot read the pin {stripped!r}")
            packages.append((match.group(1), match.group(2), []))
            listing = False
        elif packages and stripped.startswith("# via"):
            rest = stripped[len("# via"):].strip()
            if rest:
                packages[-1][2].append(rest)
            listing = not rest
        elif packages and listing and stripped.startswith("#"):
            packages[-1][2].append(stripped.lstrip("#").strip())
    if not packages:
        raise InputError(f"{path}: no pinned packages (name==version) found")
    return [Package(name, version, tuple(via)) for name, version, via in packages]


def _project(pyproject: Path) -> dict[str, Any]:
    try:
        project: dict[str, Any] = tomllib.loads(pyproject.read_text(encoding="utf-8")).get("project", {})
        return project
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise InputError(f"cannot read {pyproject}: {exc}") from None


def _requirement_names(requirements: list[str]) -> set[str]:
    return {_normal(re.split(r"[\s\[<>=!~;]", d, maxsplit=1)[0]) for d in requirements}


def _closure(seeds: set[str], packages: list[Package]) -> set[str]:
    """The seeds and every package that a package in the set pulls in (by the lock's `# via`)."""
    parents = {_normal(p.name): {_normal(v.split(" ")[0]) for v in p.via if not v.startswith(PROJECT)} for p in packages}
    found = set(seeds)
    changed = True
    while changed:
        changed = False
        for name, via in parents.items():
            if name not in found and via & found:
                found.add(name)
                changed = True
    return found


def runtime_packages(packages: list[Package], pyproject: Path) -> set[str]:
    """Normalised names of the packages the product runs with (not only its tests).

    The direct ones are `[project] dependencies`; a transitive one is runtime when any
    package that pulls it in is.
    """
    return _closure(_requirement_names(_project(pyproject).get("dependencies", [])), packages)


def extra_packages(packages: list[Package], pyproject: Path) -> dict[str, tuple[str, ...]]:
    """Normalised name -> the optional extras of the product (all but `test`) that bring it in.

    An extra such as `[dask]` is part of the product for whoever installs it, so its packages
    are SOUP of the product, not of the tests, even when the test extra pins them too.
    """
    extras = _project(pyproject).get("optional-dependencies", {})
    out: dict[str, tuple[str, ...]] = {}
    for extra, requirements in sorted(extras.items()):
        if extra == "test":
            continue
        for name in _closure(_requirement_names(list(requirements)), packages):
            out[name] = (*out.get(name, ()), extra)
    return out


def in_the_product(name: str, runtime: set[str], extras: Mapping[str, tuple[str, ...]]) -> str:
    """The "in the product" column: yes, an optional extra's, or tests."""
    key = _normal(name)
    if key in runtime:
        return "yes"
    if key in extras:
        return "product (optional extra " + ", ".join(f"`[{e}]`" for e in extras[key]) + ")"
    return "tests"


def soup_gaps(packages: list[Package], soup: Path) -> list[str]:
    """How the SOUP list's packages and versions differ from the lock (empty: they agree).

    Only the name and version columns are compared: the vulnerability column changes with
    the day the index was asked, the set of packages only with the lock.
    """
    shown = soup.relative_to(Path.cwd()) if soup.is_relative_to(Path.cwd()) else soup
    regenerate = f"regenerate it with cds-service safety-report --soup > {shown}"
    try:
        text = soup.read_text(encoding="utf-8")
    except OSError:
        return [f"{soup.name} (the SOUP list) is missing: {regenerate}"]
    listed: dict[str, str] = {}
    for line in text.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if line.startswith("|") and len(cells) >= 2 and cells[0] != "package" and not set(cells[0]) <= set("-: "):
            listed[_normal(cells[0])] = cells[1]
    locked = {_normal(p.name): p.version for p in packages}
    missing = [f"{n}=={v}" for n, v in sorted(locked.items()) if n not in listed]
    versions = [f"{n} ({soup.name} {listed[n]}, lock {v})" for n, v in sorted(locked.items()) if n in listed and listed[n] != v]
    extra = sorted(set(listed) - set(locked))
    parts = ([f"missing {', '.join(missing)}"] if missing else []) + \
        ([f"other versions: {', '.join(versions)}"] if versions else []) + \
        ([f"not in the lock: {', '.join(extra)}"] if extra else [])
    if not parts:
        return []
    return [f"{soup.name} (the SOUP list) differs from the lock: {'; '.join(parts)}: {regenerate}"]


def lookup(client: httpx.Client, package: Package) -> Vulnerabilities:
    """The index's `vulnerabilities` for this exact version; raises httpx.TransportError when unreachable."""
    response = client.get(f"{INDEX}/{package.name}/{package.version}/json")
    latest_only = False
    if response.status_code == 404:  # some index mirrors answer only the project page, which describes the latest release
        response = client.get(f"{INDEX}/{package.name}/json")
        latest_only = True
    if response.status_code != 200:
        return Vulnerabilities(why_not=f"the index answered HTTP {response.status_code}")
    try:
        body = response.json()
        listed = body.get("vulnerabilities")
        latest = body.get("info", {}).get("version")
    except (ValueError, AttributeError):
        return Vulnerabilities(why_not="the index's answer was not the expected JSON")
    if latest_only and latest != package.version:
        return Vulnerabilities(why_not=f"the index describes only the latest release ({latest})")
    if not isinstance(listed, list):
        return Vulnerabilities(why_not="the index's answer has no vulnerabilities list")
    found = []
    for item in listed:
        if not isinstance(item, dict) or item.get("withdrawn"):
            continue
        ids = [str(item.get("id", "?")), *(str(a) for a in item.get("aliases") or [] if str(a).startswith("CVE-"))]
        fixed = ", ".join(str(v) for v in item.get("fixed_in") or [])
        found.append(" / ".join(dict.fromkeys(ids)) + (f" (fixed in {fixed})" if fixed else " (no fixed version listed)"))
    return Vulnerabilities(tuple(found), checked=True)


def vulnerabilities(packages: list[Package], offline: bool, client: httpx.Client | None = None) -> dict[str, Vulnerabilities]:
    """One answer per package; after the index proves unreachable, the rest are not tried."""
    if offline:
        return {p.name: Vulnerabilities(why_not="offline: not looked up") for p in packages}
    own = client is None
    client = client or httpx.Client(timeout=TIMEOUT_S, follow_redirects=True)
    out: dict[str, Vulnerabilities] = {}
    unreachable = ""
    try:
        for package in packages:
            if unreachable:
                out[package.name] = Vulnerabilities(why_not=unreachable)
                continue
            try:
                out[package.name] = lookup(client, package)
            except httpx.TransportError as exc:
                unreachable = f"the index could not be reached ({type(exc).__name__})"
                out[package.name] = Vulnerabilities(why_not=unreachable)
            except httpx.HTTPError as exc:
                out[package.name] = Vulnerabilities(why_not=f"lookup failed ({type(exc).__name__})")
    finally:
        if own:
            client.close()
    return out


def render_soup(packages: list[Package], purposes: Mapping[str, str], runtime: set[str],
                vulns: Mapping[str, Vulnerabilities], today: date, lock_name: str = "requirements.lock",
                extras: Mapping[str, tuple[str, ...]] | None = None) -> str:
    """The SOUP list as markdown, with a header saying when and how completely it was checked."""
    checked = [p for p in packages if vulns[p.name].checked]
    with_findings = [p for p in checked if vulns[p.name].found]
    if len(checked) == len(packages):
        status = f"looked up in the Python Package Index for all {len(packages)} packages"
    elif not checked:
        reasons = sorted({vulns[p.name].why_not for p in packages})
        status = f"NOT looked up for any package ({'; '.join(reasons)})"
    else:
        status = (f"looked up in the Python Package Index for {len(checked)} of {len(packages)} packages; "
                  f"{len(packages) - len(checked)} could not be checked (see their rows)")
    out = [
        "# SOUP list (IEC 62304)",
        "",
        f"Generated on {today.isoformat()} from `{lock_name}` by `cds-service safety-report --soup`.",
        f"Known vulnerabilities: {status}; {len(with_findings)} package(s) with known vulnerabilities.",
        "",
        "Purposes of direct dependencies are kept in `docs/safety/traceability.toml` (`[soup.purpose]`); "
        "a transitive package is there because the packages named need it. \"In the product\": the service runs "
        "with it (yes), an optional extra of the product brings it in (installed with `pip install '.[dask]'`, "
        "for example), or only the test suite uses it (tests).",
        "",
        "| package | version | in the product | purpose | known vulnerabilities |",
        "|---|---|---|---|---|",
    ]
    for p in sorted(packages, key=lambda p: _normal(p.name)):
        if p.direct:
            purpose = purposes.get(_normal(p.name), "(purpose not recorded)")
        else:
            parents = [v.split(" ")[0] for v in p.via]
            purpose = "dependency of " + ", ".join(parents) if parents else "(no `# via` in the lock)"
        v = vulns[p.name]
        found = "; ".join(v.found) if v.found else ("none known to the index" if v.checked else f"not checked: {v.why_not}")
        product = in_the_product(p.name, runtime, extras or {})
        out.append(f"| {p.name} | {p.version} | {product} | {purpose.replace('|', '/')} | {found.replace('|', '/')} |")
    return "\n".join(out) + "\n"
