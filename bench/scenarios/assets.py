"""Assets and CSV imports (product.md §10): the agents' and the portal's asset routes, and the
asset lists against table size (1,000 to 10,000 assets: the items read stay the same)."""

from __future__ import annotations

from typing import Any

from bench.scenarios import Request, growth, scenario
from bench.stage import Stage

ASSETS_AGENT_EMAIL = "bench-assets@helpdesk.test"


def _agent(stage: Stage) -> str:
    return stage.agents.token(ASSETS_AGENT_EMAIL, ["manage-assets", "manage-clients"])


def _asset(stage: Stage, **fields: Any) -> dict[str, Any]:
    body = {"organization_id": fields.pop("organization_id", None) or stage.organization()["id"],
            "name": "Laptop", "serial": f"SN-{stage.serial()}", "attributes": {"RAM": "16 GB"}, **fields}
    return stage.expect(stage.api.post("/agent/assets", body, token=_agent(stage)), 201, "create asset")


def _assigned(stage: Stage) -> tuple[dict[str, Any], str]:
    """(asset, bearer) of an asset assigned to an active client, with a ticket about it."""
    org = stage.organization()
    client, bearer = stage.active_client(organization_id=org["id"])
    asset = _asset(stage, organization_id=org["id"], client_id=client["id"])
    stage.expect(stage.api.post("/portal/tickets", {"subject": "Slow", "description": "Very.", "asset_id": asset["id"]},
                                token=bearer), 201, "open ticket")
    return asset, bearer


@scenario("GET", "/agent/assets")
def list_assets(stage: Stage) -> Request:
    asset = _asset(stage)
    return Request("GET", f"/agent/assets?organization_id={asset['organization_id']}", token=stage.agent,
                   note="one organization's")


@scenario("POST", "/agent/assets")
def create_asset(stage: Stage) -> Request:
    org = stage.organization()
    return Request("POST", "/agent/assets", token=_agent(stage), expect=201,
                   json={"organization_id": org["id"], "name": "Printer", "serial": f"P-{stage.serial()}"},
                   note="organization checked, serial guard")


@scenario("GET", "/agent/assets/{asset_id}")
def get_asset(stage: Stage) -> Request:
    return Request("GET", f"/agent/assets/{_asset(stage)['id']}", token=stage.agent)


@scenario("PATCH", "/agent/assets/{asset_id}")
def update_asset(stage: Stage) -> Request:
    asset = _asset(stage)
    return Request("PATCH", f"/agent/assets/{asset['id']}", token=_agent(stage),
                   json={"serial": f"SN-{stage.serial()}", "status": "in_repair", "version": 1},
                   note="new serial (guards moved)")


@scenario("GET", "/agent/assets/{asset_id}/tickets")
def asset_tickets(stage: Stage) -> Request:
    asset, _ = _assigned(stage)
    return Request("GET", f"/agent/assets/{asset['id']}/tickets", token=stage.agent)


@scenario("GET", "/portal/assets")
def portal_assets(stage: Stage) -> Request:
    _, bearer = _assigned(stage)
    return Request("GET", "/portal/assets", token=bearer)


@scenario("GET", "/portal/assets/{asset_id}")
def portal_asset(stage: Stage) -> Request:
    asset, bearer = _assigned(stage)
    return Request("GET", f"/portal/assets/{asset['id']}", token=bearer)


@scenario("GET", "/portal/assets/{asset_id}/tickets")
def portal_asset_tickets(stage: Stage) -> Request:
    asset, bearer = _assigned(stage)
    return Request("GET", f"/portal/assets/{asset['id']}/tickets", token=bearer)


@scenario("POST", "/agent/imports")
def start_import(stage: Stage) -> Request:
    csv = "email,name\n" + "".join(f"{stage.email('import')},Imported\n" for _ in range(3))
    return Request("POST", "/agent/imports", token=_agent(stage), expect=202,
                   json={"kind": "clients", "csv": csv, "dry_run": True},
                   note="stores the job; the run is outside the request")


@scenario("GET", "/agent/imports/{import_id}")
def get_import(stage: Stage) -> Request:
    csv = "email,name\nnot-an-email,X\n"
    job = stage.expect(stage.api.post("/agent/imports", {"kind": "clients", "csv": csv, "dry_run": True},
                                      token=_agent(stage)), 202, "start import")
    _wait(stage, job["id"])
    return Request("GET", f"/agent/imports/{job['id']}", token=stage.agent, note="done, with a problem")


def _wait(stage: Stage, import_id: str) -> None:
    import time

    for _ in range(300):
        if stage.api.get(f"/agent/imports/{import_id}", token=stage.agent).json["status"] == "done":
            return
        time.sleep(0.1)


# --- growth ---------------------------------------------------------------------------------

GROWTH_ORG = "01BENCHGROWTHASSETSORG0000"
GROWTH_CLIENT = "01BENCHGROWTHASSETSCLIENT0"


def seed_assets(start: int, stop: int) -> None:
    """Assets numbered start..stop-1 with their serial guards: half of GROWTH_ORG, 1 in 10
    assigned to GROWTH_CLIENT, the rest spread over 97 other organizations."""
    from bench.seed import put_models
    from chalicelib.ids import utcnow
    from chalicelib.models.assets import ASSET_KIND, AssetModel, SerialGuardModel, serial_guard_id

    now = utcnow()
    rows: list[Any] = []
    for n in range(start, stop):
        asset_id = f"01BENCHASSET{n:014d}"
        organization = GROWTH_ORG if n % 2 == 0 else f"growth-asset-org-{n % 97:02d}"
        client = GROWTH_CLIENT if n % 10 == 0 else None
        rows.append(AssetModel(asset_id, kind=ASSET_KIND, asset_key=asset_id, organization_id=organization,
                               client_id=client, name=f"Asset {n}", serial=f"GS-{n}", status="in_use",
                               created_at=now, updated_at=now, version=1))
        rows.append(SerialGuardModel(serial_guard_id(organization, f"GS-{n}"), owner_id=asset_id))
    put_models(rows)


@growth("GET /agent/assets", table="assets", seed=seed_assets, note="first page, all assets")
def assets_first_page(stage: Stage) -> Request:
    return Request("GET", "/agent/assets", token=stage.agent)


@growth("GET /agent/assets?organization_id=", table="assets", seed=seed_assets, note="one organization's assets")
def assets_of_organization(stage: Stage) -> Request:
    return Request("GET", f"/agent/assets?organization_id={GROWTH_ORG}", token=stage.agent)


@growth("GET /agent/assets?client_id=", table="assets", seed=seed_assets, note="one client's assets")
def assets_of_client(stage: Stage) -> Request:
    return Request("GET", f"/agent/assets?client_id={GROWTH_CLIENT}", token=stage.agent)


@growth("GET /agent/assets?serial=", table="assets", seed=seed_assets, note="exact serial in an organization")
def asset_by_serial(stage: Stage) -> Request:
    return Request("GET", f"/agent/assets?organization_id={GROWTH_ORG}&serial=GS-0", token=stage.agent)
