"""`rapport policy show|set`: the tenant's nudge policy, or one group's override of it.

A tenant has a default policy; a group (a person's first group in the people import) may
override parts of it. `show` prints the effective policy (the default, or the default merged
with the group's override); `set` validates a JSON file (an error names the field) and saves
it as the next version, audited with the actor `cli`, as the policy storage does for every save.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from service.cli.running import BadInput, TenantOption, emit, reported, run, say, tenant_id_of

if TYPE_CHECKING:
    from service.domain.policy import Policy
    from service.runtime import Runtime

ACTOR = "cli"
MAX_POLICY_BYTES = 1024 * 1024
MAX_GROUP = 100

policy_app = typer.Typer(
    help="The tenant's nudge policy: show it, or set it from a JSON file.",
    no_args_is_help=True,
    add_completion=False,
)

GroupOption = Annotated[
    str | None,
    typer.Option(
        "--group",
        help="A group's override (a person's first group) instead of the tenant default.",
    ),
]


def _group(value: str | None) -> str | None:
    if value is None:
        return None
    group = value.strip()
    if not group or len(group) > MAX_GROUP:
        raise BadInput(f"--group needs a name of 1 to {MAX_GROUP} characters")
    return group


def _where(group: str | None) -> str:
    return "the tenant default" if group is None else f"group {group!r}"


async def _effective(rt: Runtime, tenant_id: int, group: str | None) -> tuple[Policy, str]:
    """The policy that applies to `group` (None: the default) and which versions made it."""
    from service.domain.policy import merge_policy, validate_policy
    from service.storage import PolicyRepository

    async with rt.db.session() as session:
        policies = PolicyRepository(session, tenant_id)
        default = await policies.current(None)
        override = None if group is None else await policies.current(group)
    base = "built-in defaults" if default is None else f"default version {default.version}"
    body = {} if default is None else default.body
    if group is None:
        return validate_policy(body), base
    if override is None:
        return validate_policy(body), f"{base}; group {group!r} has no override"
    merged = merge_policy(body, override.body)
    return merged, f"{base} + group {group!r} version {override.version}"


@policy_app.command("show")
def show(tenant: TenantOption, group: GroupOption = None) -> None:
    """Print the effective policy as JSON (a valid file for `rapport policy set`).

    The tenant default, or with --group G what G's members get: the default merged with G's
    override.
    """
    command = "policy show"
    with reported(command):
        key = _group(group)

    async def work(rt: Runtime) -> int:
        tenant_id = await tenant_id_of(rt, tenant)
        policy, made_of = await _effective(rt, tenant_id, key)
        say(command, made_of)
        typer.echo(json.dumps(policy.model_dump(mode="json"), indent=2, ensure_ascii=False))
        return 0

    run(command, work)


def _load(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as handle:
            data = handle.read(MAX_POLICY_BYTES + 1)
    except FileNotFoundError:
        raise BadInput(f"{path}: no such file") from None
    except OSError as exc:
        raise BadInput(f"{path}: cannot read it ({exc.strerror or exc})") from None
    if len(data) > MAX_POLICY_BYTES:
        raise BadInput(f"{path}: larger than {MAX_POLICY_BYTES // 1024} KB")
    try:
        body = json.loads(data.decode("utf-8-sig"))
    except UnicodeDecodeError:
        raise BadInput(f"{path}: not UTF-8 text") from None
    except json.JSONDecodeError as exc:
        raise BadInput(
            f"{path}: not valid JSON (line {exc.lineno} column {exc.colno}: {exc.msg})"
        ) from None
    if not isinstance(body, dict):
        raise BadInput(f"{path}: a policy is a JSON object of settings, not {type(body).__name__}")
    return body


@policy_app.command("set")
def set_policy(
    tenant: TenantOption,
    file: Annotated[
        Path,
        typer.Argument(
            help="JSON object of settings; the missing ones keep their defaults (for a group: "
            "the tenant default's).",
            show_default=False,
        ),
    ],
    group: GroupOption = None,
) -> None:
    """Validate a JSON policy file and save it as the next version (audited, actor `cli`).

    Saves the tenant default, or with --group G that group's override. An invalid setting is
    named (`lead_minutes: ...`) and nothing is saved. Prints one JSON line: group, version.
    """
    from service.domain.policy import merge_policy, validate_policy
    from service.storage import PolicyRepository

    command = "policy set"
    with reported(command):
        key = _group(group)
        body = _load(file)

    async def work(rt: Runtime) -> int:
        tenant_id = await tenant_id_of(rt, tenant)
        async with rt.db.session() as session:
            policies = PolicyRepository(session, tenant_id)
            if key is None:
                validate_policy(body)
            else:
                default = await policies.current(None)
                merge_policy({} if default is None else default.body, body)
            version = await policies.save(key, body, ACTOR)
            await session.commit()
        say(command, f"saved version {version} of {_where(key)}")
        emit({"group": key, "version": version})
        return 0

    run(command, work)
