"""The foundation's routes: the portal page and its assets, OpenAPI, organizations, settings."""

from __future__ import annotations

from bench.scenarios import Request, scenario
from bench.stage import Stage


@scenario("GET", "/portal")
def portal_page(stage: Stage) -> Request:
    return Request("GET", "/portal")


@scenario("GET", "/portal/assets/{name}")
def portal_asset(stage: Stage) -> Request:
    assets = stage.portal_assets()
    if not assets:
        return Request("GET", "/portal/assets/missing.css", expect=404, note="no assets yet: the 404 path")
    return Request("GET", assets[0])


@scenario("GET", "/openapi.json")
def openapi(stage: Stage) -> Request:
    return Request("GET", "/openapi.json")


@scenario("GET", "/agent/organizations")
def list_organizations(stage: Stage) -> Request:
    for n in range(3):
        stage.organization(f"Listed {n}")
    return Request("GET", "/agent/organizations?limit=25", token=stage.agent)


@scenario("POST", "/agent/organizations")
def create_organization(stage: Stage) -> Request:
    return Request("POST", "/agent/organizations", token=stage.admin, json={"name": stage.unique("Acme")},
                   expect=201)


@scenario("GET", "/agent/organizations/{organization_id}")
def get_organization(stage: Stage) -> Request:
    org = stage.organization()
    return Request("GET", f"/agent/organizations/{org['id']}", token=stage.agent)


@scenario("PATCH", "/agent/organizations/{organization_id}")
def rename_organization(stage: Stage) -> Request:
    org = stage.organization()
    return Request("PATCH", f"/agent/organizations/{org['id']}", token=stage.admin,
                   json={"name": stage.unique("Renamed"), "domain": "renamed.example"}, note="renamed")


@scenario("GET", "/agent/settings")
def get_settings(stage: Stage) -> Request:
    return Request("GET", "/agent/settings", token=stage.agent)


@scenario("PATCH", "/agent/settings")
def update_settings(stage: Stage) -> Request:
    return Request("PATCH", "/agent/settings", token=stage.admin, json={"allow_client_rating": True})
