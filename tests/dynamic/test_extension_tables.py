"""extension-table-altered against the dynamic stage: on the local PostgreSQL 15, which has PostGIS, the
stage creates extensions as supautils does on Supabase (as supabase_admin), so each statement the rule
claims a table's owner alone may run fails there with "must be owner", and one it leaves alone applies."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import run_json

from .helpers import require_engine

pytestmark = pytest.mark.postgres

POSTGIS = "create extension if not exists postgis;\n"


@pytest.mark.parametrize(
    ("statement", "claimed"),
    [
        ("alter table spatial_ref_sys enable row level security;\n", True),
        ("create policy srid_read on public.spatial_ref_sys for select to anon using (true);\n", True),
        ("create index spatial_ref_sys_name_idx on public.spatial_ref_sys (auth_name);\n", True),
        ("revoke all on public.spatial_ref_sys from anon, authenticated;\n", False),
        ("select count(*) from public.spatial_ref_sys;\n", False),
    ],
    ids=["rls", "policy", "index", "revoke", "select"],
)
def test_the_rule_claims_what_supabase_refuses(tmp_path: Path, statement: str, claimed: bool) -> None:
    require_engine("local")
    (tmp_path / "migration.sql").write_text(POSTGIS + statement, encoding="utf-8")
    (tmp_path / "policy.toml").write_text('transaction = "runner"\nrollback = "optional"\n', encoding="utf-8")
    args = ("check", "migration.sql", "--config", "policy.toml", "--engine", "local")
    _, report, err = run_json(*args, cwd=tmp_path)
    errors = {f["rule"]: f["message"] for f in report["findings"] if f["severity"] == "error"}
    assert ("extension-table-altered" in errors) is claimed, errors
    refused = "must be owner of table spatial_ref_sys" in errors.get("dynamic-apply", "")
    assert refused is claimed, (errors, err[-2000:])
