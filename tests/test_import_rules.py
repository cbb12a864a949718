"""The dependency rules of DESIGN.md, checked on the source so they stay true."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("service", "integrations", "workers")
ENTRY_POINTS = ("service.cli", "service.api")
# Third-party modules that do I/O (or belong to an adapter) and so may not appear in the domain.
DOMAIN_FORBIDDEN_THIRD_PARTY = (
    "httpx",
    "sqlalchemy",
    "alembic",
    "asyncpg",
    "aiosqlite",
    "arq",
    "redis",
    "aiosmtplib",
    "smtplib",
    "socket",
    "subprocess",
    "urllib.request",
    "http.client",
    "jinja2",
    "icalendar",
    "googleapiclient",
    "msal",
    "fastapi",
    "structlog",
    "pydantic_settings",
    "shutil",
)


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _imports(path: Path) -> Iterator[tuple[int, str]]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    package = _module_name(path).rsplit(".", 0 if path.name == "__init__.py" else 1)[0]
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - (node.level - 1)]
                yield node.lineno, ".".join([*base, node.module or ""]).rstrip(".")
            elif node.module:
                yield node.lineno, node.module


def _within(module: str, prefix: str) -> bool:
    return module == prefix or module.startswith(prefix + ".")


# Inside `service`, below the entry points: what each part may import of ours. The layers go
# domain -> storage / email -> runtime -> pipeline; `errors` is for everyone but the domain.
SERVICE_LAYERS: dict[str, tuple[str, ...]] = {
    "service.errors": (),
    "service.secrets": (),
    "service.logs": (),
    "service.config": ("service.domain",),
    "service.sample": ("service.sample",),
    "service.storage": ("service.domain", "service.storage", "service.errors"),
    "service.email": ("service.domain", "service.email", "service.errors"),
    "service.runtime": ("service.domain", "service.storage", "service.email", "service.secrets"),
    "service.pipeline": (
        "service.domain",
        "service.storage",
        "service.email",
        "service.errors",
        "service.runtime",
        "service.secrets",
        "service.pipeline",
    ),
}


def _layer_violation(module: str, imported: str) -> str | None:
    for layer, allowed in SERVICE_LAYERS.items():
        if _within(module, layer):
            if not any(_within(imported, a) for a in allowed):
                return f"{layer} may import only {', '.join(allowed) or 'nothing of ours'}"
            return None
    return None


def _violation(module: str, imported: str) -> str | None:
    ours = imported.split(".")[0] in PACKAGES
    if _within(module, "service.domain"):
        if ours and not _within(imported, "service.domain"):
            return "the domain imports nothing of ours outside service.domain"
        if any(_within(imported, banned) for banned in DOMAIN_FORBIDDEN_THIRD_PARTY):
            return "the domain is pure: no I/O libraries"
        return None
    if _within(module, "integrations"):
        if ours and not (_within(imported, "service.domain") or _within(imported, "integrations")):
            return "integrations import only service.domain"
        return None
    if any(_within(imported, entry) for entry in ENTRY_POINTS):
        if not any(_within(module, entry) for entry in ENTRY_POINTS):
            return "nothing imports the entry points (service.cli, service.api)"
        return None
    in_service = _within(module, "service") and not any(_within(module, e) for e in ENTRY_POINTS)
    if in_service and (_within(imported, "integrations") or _within(imported, "workers")):
        return "service (outside the entry points) never imports integrations or workers"
    if in_service and ours:
        return _layer_violation(module, imported)
    return None


def _sources() -> list[Path]:
    return sorted(p for package in PACKAGES for p in (ROOT / package).rglob("*.py"))


def test_check_imports_follow_design_rules() -> None:
    problems = [
        f"{path.relative_to(ROOT)}:{line}: imports {imported}: {why}"
        for path in _sources()
        for line, imported in _imports(path)
        if (why := _violation(_module_name(path), imported))
    ]
    assert problems == []


@pytest.mark.parametrize(
    ("module", "imported", "allowed"),
    [
        ("service.domain.model", "service.storage", False),
        ("service.domain.model", "httpx", False),
        ("service.domain.classify", "service.domain.model", True),
        ("integrations.ics.connector", "service.storage.db", False),
        ("integrations.ics.connector", "service.domain.port", True),
        ("service.storage.meetings", "integrations.ics", False),
        ("service.pipeline", "workers.sync", False),
        ("workers.sync", "service.cli", False),
        ("workers.sync", "integrations.ics", True),
        ("service.cli.demo", "integrations.ics", True),
        ("service.cli.demo", "workers.context", True),
        ("service.pipeline.sync", "service.runtime", True),
        ("service.pipeline.sync", "service.config", False),
        ("service.storage.repositories.people", "service.pipeline.planning", False),
        ("service.storage.repositories.people", "service.errors", True),
        ("service.email.render", "service.storage", False),
        ("service.email.render", "service.runtime", False),
        ("service.runtime", "service.pipeline", False),
        ("service.config", "service.email", False),
        ("workers.context", "service.config", True),
    ],
)
def test_check_rule_examples(module: str, imported: str, allowed: bool) -> None:
    assert (_violation(module, imported) is None) is allowed


def _private_imports(path: Path) -> Iterator[tuple[int, str]]:
    """`from x import _name` where x is another module of ours (a private name leaking)."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and (
            node.level or (node.module or "").split(".")[0] in PACKAGES
        ):
            for alias in node.names:
                if alias.name.startswith("_") and not alias.name.startswith("__"):
                    yield node.lineno, f"{node.module}.{alias.name}"


def test_check_no_private_name_imported_across_modules() -> None:
    problems = [
        f"{path.relative_to(ROOT)}:{line}: imports private {name}"
        for path in _sources()
        for line, name in _private_imports(path)
    ]
    assert problems == []
