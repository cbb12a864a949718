"""`rapport admin`: tenants, fresh secret keys, rotating the secrets, and clear errors."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from cryptography.fernet import Fernet

from service.secrets import KEY_FILE_NAME
from tests.fixtures.operator_cli import Operator

URL = "https://cal.example.com/private/0a1b2c3d4e5f60718293a4b5/basic.ics"


def test_create_tenant_migrates_and_lists(tmp_path: Path) -> None:
    rapport = Operator(tmp_path)
    (created,) = rapport.ok("admin", "create-tenant", "Acme Ltd", "--domain", "Acme.example")
    assert created == {"id": created["id"], "slug": "acme-ltd", "name": "Acme Ltd",
                       "domains": ["acme.example"]}  # fmt: skip
    rapport.ok("admin", "create-tenant", "Globex", "--domain", "@globex.example")
    assert rapport.ok("admin", "tenants") == [
        created,
        {
            "id": created["id"] + 1,
            "slug": "globex",
            "name": "Globex",
            "domains": ["globex.example"],
        },
    ]


def test_create_tenant_again_adds_domains_only(tmp_path: Path) -> None:
    rapport = Operator(tmp_path)
    (first,) = rapport.ok("admin", "create-tenant", "Acme", "--domain", "a.example")
    again = rapport("admin", "create-tenant", "Acme", "--domain", "b.example")
    assert again.exit_code == 0
    assert "already exists" in again.stderr
    (tenant,) = rapport.ok("admin", "tenants")
    assert tenant == {**first, "domains": ["a.example", "b.example"]}


def test_create_tenant_bad_input_one_line(tmp_path: Path) -> None:
    rapport = Operator(tmp_path)
    assert "needs letters or digits" in rapport.fails("admin", "create-tenant", "!!!")
    line = rapport.fails("admin", "create-tenant", "Acme", "--domain", "not a domain")
    assert "--domain 'not a domain' is not a domain name" in line


def test_tenants_on_fresh_database_says_what_to_run(tmp_path: Path) -> None:
    line = Operator(tmp_path).fails("admin", "tenants")
    assert "rapport migrate" in line


def test_new_secret_key_prints_a_fernet_key(tmp_path: Path) -> None:
    result = Operator(tmp_path)("admin", "new-secret-key")
    assert result.exit_code == 0
    Fernet(result.stdout.strip().encode())  # a valid key
    assert result.stdout != Operator(tmp_path)("admin", "new-secret-key").stdout


def _connected(tmp_path: Path) -> Operator:
    rapport = Operator(tmp_path)
    rapport.ok("admin", "create-tenant", "Acme")
    csv = tmp_path / "people.csv"
    csv.write_text("email\nana@example.com\n", encoding="utf-8")
    rapport.ok("people", "import", "--tenant", "acme", str(csv))
    rapport.ok("connect", "ics", "--tenant", "acme", "--person", "ana@example.com", "--url", URL)
    return rapport


def test_rotate_secrets_to_a_new_key_then_drop_the_old(tmp_path: Path) -> None:
    rapport = _connected(tmp_path)
    old = (tmp_path / KEY_FILE_NAME).read_text(encoding="utf-8").strip()
    new = rapport("admin", "new-secret-key").stdout.strip()
    rapport.env["RAPPORT_SECRET_KEYS"] = f"{new},{old}"
    assert rapport.ok("admin", "rotate-secrets") == [{"rotated": 1}]
    assert rapport.ok("admin", "rotate-secrets") == [{"rotated": 1}]  # again: harmless
    rapport.env["RAPPORT_SECRET_KEYS"] = new
    # Only the new key now: every secret still opens (connect checks them first).
    rapport.ok("connect", "ics", "--tenant", "acme", "--person", "ana@example.com", "--url", URL)
    rapport.env["RAPPORT_SECRET_KEYS"] = old
    line = rapport.fails("admin", "rotate-secrets")
    assert "open with none of the configured keys" in line
    assert "0a1b2c3d4e5f" not in line


def test_invalid_secret_key_setting_one_line(tmp_path: Path) -> None:
    rapport = Operator(tmp_path, env={"RAPPORT_SECRET_KEYS": "not-a-key"})
    assert rapport("admin", "new-secret-key").exit_code == 0  # needs no key
    line = rapport.fails("admin", "create-tenant", "Acme")
    assert "not a valid Fernet key" in line
    assert "not-a-key" not in line


def test_wrong_setting_names_variable_one_line(tmp_path: Path) -> None:
    rapport = Operator(tmp_path, env={"RAPPORT_DEFAULT_TIMEZONE": "Mars/Olympus"})
    assert "RAPPORT_DEFAULT_TIMEZONE" in rapport.fails("admin", "tenants")


def test_run_admin_as_a_process_bad_input_exit_2_no_traceback(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("RAPPORT_")}
    env["RAPPORT_DATA_DIR"] = str(tmp_path)
    run = subprocess.run(
        [sys.executable, "-m", "service.cli", "admin", "create-tenant", "???"],
        capture_output=True, text=True, env=env, timeout=120, check=False,
    )  # fmt: skip
    assert run.returncode == 2
    assert run.stderr.strip().splitlines() == [
        "rapport admin create-tenant: tenant name '???' needs letters or digits "
        "(at most 200 characters)"
    ]
