"""The source registry: registry files, and the `govreports sources` commands."""
from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from jobs.cli import cli
from jobs.registry import STARTER_REGISTRY, RegistryError, load_registry


def test_starter_registry_holds_only_official_portals_unverified():
    specs = load_registry(STARTER_REGISTRY)
    assert len(specs) >= 20
    for spec in specs:
        assert spec.start_urls[0].split("/")[2].endswith(".gov.cn"), spec.name
        assert spec.verified is False


def test_starter_registry_names_each_site_by_its_owner():
    """A source's issuer is the government or department that runs the site (coverage credits it),
    and its division code is that issuer's own: the code resolved from the issuer's name."""
    from pipeline.regions import region_by_code, resolve_region

    for spec in load_registry(STARTER_REGISTRY):
        if spec.name == "www.gov.cn":
            continue
        assert spec.issuer and spec.division_code, spec.name
        assert not spec.issuer.endswith(("街道", "办事处", "办公室")), spec.name  # a site has no sub-office owner
        region = resolve_region(spec.issuer)
        if region is None:  # a development zone: its name carries its city's, without 市
            region = region_by_code(spec.division_code)
            assert region and region.name.split("省")[-1].rstrip("市") in spec.issuer, spec.name
        assert region.code == spec.division_code, (spec.name, spec.issuer)


@pytest.mark.parametrize("text, message", [
    ('[[source]]\nstart_urls = ["http://a.gov.cn/"]\n', "'name' is required"),
    ('[[source]]\nname = "a"\nstart_urls = []\n', "'start_urls' must be"),
    ('[[source]]\nname = "a"\nstart_urls = ["ftp://a"]\n', "'start_urls' must be"),
    ('[[source]]\nname = "a"\nstart_urls = ["http://a/"]\ncolour = 1\n', "unknown keys"),
    ('[[source]]\nname = "a"\nstart_urls = ["http://a/"]\n[[source]]\nname = "a"\nstart_urls = ["http://b/"]\n',
     "duplicate name"),
])
def test_bad_registry_entries_name_file_and_entry(tmp_path, text, message):
    path = tmp_path / "reg.toml"
    path.write_text(text)
    with pytest.raises(RegistryError, match=message) as info:
        load_registry(path)
    assert str(path) in str(info.value)


def test_sources_commands_round_trip(tmp_path):
    db = f"sqlite:///{tmp_path / 'g.db'}"
    runner = CliRunner()

    def run(*args):
        result = runner.invoke(cli, ["--db", db, *args], catch_exceptions=False)
        return result

    assert run("sources", "import").exit_code == 0
    r = run("sources", "add", "hc", "http://www.hc.gov.cn/", "--issuer", "合川区司法局",
            "--division", "500117", "--schedule", "every 6h")
    assert r.exit_code == 0, r.output
    assert run("sources", "add", "hc", "http://www.hc.gov.cn/").exit_code != 0  # duplicate
    assert run("sources", "add", "bad", "http://x/", "--schedule", "weekly").exit_code != 0
    shown = json.loads(run("sources", "show", "hc").output)
    assert shown["division_code"] == "500117" and shown["verified"] is False
    listed = [json.loads(line) for line in run("sources", "list", "--json").output.splitlines()]
    assert "hc" in {s["name"] for s in listed} and len(listed) > 20
    # Re-importing the starter registry updates, never duplicates.
    assert "0 sources added" in run("sources", "import").output
    assert run("sources", "remove", "hc").exit_code == 0
    assert run("sources", "remove", "hc").exit_code != 0
