"""`rapport people import` and `rapport people`: the CSV as an operator imports it."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tests.fixtures.operator_cli import Operator

ROOT = Path(__file__).resolve().parents[3]
HEADER = "email,name,time_zone,manager_email,groups,aliases\n"


def _tenant(tmp_path: Path) -> Operator:
    rapport = Operator(tmp_path)
    rapport.ok("admin", "create-tenant", "Acme")
    return rapport


def _file(tmp_path: Path, text: str, name: str = "people.csv") -> str:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return str(path)


def test_import_people_sample_csv_then_list(tmp_path: Path) -> None:
    rapport = _tenant(tmp_path)
    sample = str(ROOT / "deploy" / "people.example.csv")
    assert rapport.ok("people", "import", "--tenant", "acme", sample) == [
        {"created": 5, "updated": 0, "unchanged": 0, "deactivated": 0, "rejected": 0}
    ]
    assert rapport.ok("people", "import", "--tenant", "Acme", sample)[0]["unchanged"] == 5
    people = rapport.ok("people", "--tenant", "acme")
    assert len(people) == 5
    chloe = next(p for p in people if p["email"] == "chloe.martin@example.com")
    assert chloe == {
        "email": "chloe.martin@example.com",
        "aliases": ["c.martin@example.com", "chloe@example.com"],
        "name": "Chloé Martin",
        "time_zone": "Europe/Paris",
        "manager": "ana.lopez@example.com",
        "groups": ["design", "product"],
        "active": True,
    }


def test_import_people_bad_rows_reported_rest_imported(tmp_path: Path) -> None:
    rapport = _tenant(tmp_path)
    csv = _file(
        tmp_path,
        HEADER
        + "ana@example.com,Ana,Europe/London,,,\n"
        + "Ana Two <ana2@example.com>,,,,,\n"
        + "ben@example.com,Ben,Atlantis/Capital,,,\n"
        + "ana@example.com,Ana again,,,,\n"
        + "cat@example.com,Cat,,,,ana@example.com\n",
    )
    result = rapport("people", "import", "--tenant", "acme", csv)
    assert result.exit_code == 1
    assert f"{csv}: line 3: email 'Ana Two <ana2@example.com>' is not a valid" in result.stderr
    assert f"{csv}: line 4: unknown time zone 'Atlantis/Capital'" in result.stderr
    assert f"{csv}: line 5: duplicate of line 2" in result.stderr
    assert f"{csv}: line 6: alias 'ana@example.com' is the address of the person" in result.stderr
    assert '"created": 1' in result.stdout
    assert '"rejected": 4' in result.stdout
    assert [p["email"] for p in rapport.ok("people", "--tenant", "acme")] == ["ana@example.com"]


def test_import_people_full_import_deactivates_missing(tmp_path: Path) -> None:
    rapport = _tenant(tmp_path)
    both = _file(tmp_path, HEADER + "ana@example.com,,,,,\nben@example.com,,,,,\n", "a.csv")
    only_ana = _file(tmp_path, HEADER + "ana@example.com,,,,,\n", "b.csv")
    rapport.ok("people", "import", "--tenant", "acme", both)
    partial = rapport.ok("people", "import", "--tenant", "acme", "--partial", only_ana)
    assert partial[0]["deactivated"] == 0
    assert rapport.ok("people", "import", "--tenant", "acme", only_ana)[0]["deactivated"] == 1
    active = {p["email"]: p["active"] for p in rapport.ok("people", "--tenant", "acme")}
    assert active == {"ana@example.com": True, "ben@example.com": False}


def test_people_tenant_before_subcommand(tmp_path: Path) -> None:
    rapport = _tenant(tmp_path)
    csv = _file(tmp_path, HEADER + "ana@example.com,,,,,\n")
    assert rapport.ok("people", "--tenant", "acme", "import", csv)[0]["created"] == 1


def test_people_bad_input_one_line_exit_2(tmp_path: Path) -> None:
    rapport = _tenant(tmp_path)
    good = _file(tmp_path, HEADER + "ana@example.com,,,,,\n")
    assert "no tenant named 'nope'" in rapport.fails("people", "--tenant", "nope")
    assert "--tenant NAME is needed" in rapport.fails("people")
    assert "--tenant NAME is needed" in rapport.fails("people", "import", good)
    assert "no tenant named 'nope'" in rapport.fails("people", "import", "--tenant", "nope", good)
    missing = str(tmp_path / "missing.csv")
    assert rapport.fails("people", "import", "--tenant", "acme", missing).endswith(
        f"{missing}: no such file"
    )
    assert "is a directory" in rapport.fails("people", "import", "--tenant", "acme", str(tmp_path))
    bad_header = _file(tmp_path, "mail,name\nana@example.com,Ana\n", "h.csv")
    assert "unknown column 'mail'" in rapport.fails(
        "people", "import", "--tenant", "acme", bad_header
    )
    binary = tmp_path / "b.csv"
    binary.write_bytes(b"email\n\xff\xfe\n")
    assert "not UTF-8" in rapport.fails("people", "import", "--tenant", "acme", str(binary))
    # Nothing was imported by any of these.
    assert rapport.ok("people", "--tenant", "acme") == []


def test_people_help_explains_columns(tmp_path: Path) -> None:
    result = Operator(tmp_path)("people", "import", "--help")
    assert result.exit_code == 0
    assert "email,name,time_zone,manager_email,groups,aliases" in result.stdout
    assert "inactive" in result.stdout


def test_people_piped_into_head_ends_quietly(tmp_path: Path) -> None:
    rapport = _tenant(tmp_path)
    rapport.ok("people", "import", "--tenant", "acme", str(ROOT / "deploy" / "people.example.csv"))
    env = {k: v for k, v in os.environ.items() if not k.startswith("RAPPORT_")}
    env["RAPPORT_DATA_DIR"] = str(tmp_path)
    reader = subprocess.Popen(
        [sys.executable, "-m", "service.cli", "people", "--tenant", "acme"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env,
    )  # fmt: skip
    assert reader.stdout is not None
    reader.stdout.close()  # like `| head -0`: nobody reads what it prints
    _, stderr = reader.communicate(timeout=120)
    assert "database" not in stderr.decode()
    assert "Traceback" not in stderr.decode()
