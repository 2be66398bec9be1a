"""The foundation's routes: the portal page and its assets, OpenAPI, organizations, settings."""

from __future__ import annotations

from bench.scenarios import Request, growth, scenario
from bench.stage import Stage
from chalicelib.routes import public

PAGE_PATHS = getattr(public, "PAGE_PATHS", ("/portal",))


def _page(path: str):
    def page(stage: Stage) -> Request:
        return Request("GET", path, headers={"Accept": "text/html"})

    return page


for _path in PAGE_PATHS:  # every client-side page path serves the same HTML
    scenario("GET", _path)(_page(_path))


@scenario("GET", "/portal/config")
def portal_config(stage: Stage) -> Request:
    return Request("GET", "/portal/config")


@scenario("GET", "/portal/static/{name}")
def portal_asset(stage: Stage) -> Request:
    assets = stage.portal_assets()
    if not assets:
        return Request("GET", "/portal/static/missing.css", expect=404, note="no assets yet: the 404 path")
    return Request("GET", assets[0])


@scenario("GET", "/openapi.json")
def openapi(stage: Stage) -> Request:
    return Request("GET", "/openapi.json")


@scenario("GET", "/agent/organizations")
def list_organizations(stage: Stage) -> Request:
    for n in range(3):
        stage.organization(stage.unique(f"Listed {n}"))
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


def seed_organizations(start: int, stop: int) -> None:
    """Organizations as the service writes them (with their name guards), in bulk."""
    from bench.seed import put_models
    from chalicelib.ids import new_id, utcnow
    from chalicelib.models.organizations import ORGANIZATION_KIND, OrganizationModel, name_guard_id

    now = utcnow()
    rows = []
    for n in range(start, stop):
        name = f"Seeded organization {n:06d}"
        org = OrganizationModel(new_id(), kind=ORGANIZATION_KIND, name=name, name_lower=name.lower(),
                                domain=f"org{n}.example", created_at=now, updated_at=now)
        rows += [org, OrganizationModel(name_guard_id(name), owner_id=org.id)]
    put_models(rows)


@growth("GET /agent/organizations", table="organizations", seed=seed_organizations, note="first page")
def organizations_first_page(stage: Stage) -> Request:
    return Request("GET", "/agent/organizations", token=stage.agent)


@growth("GET /agent/organizations?q=", table="organizations", seed=seed_organizations, note="name prefix search")
def organizations_prefix_search(stage: Stage) -> Request:
    return Request("GET", "/agent/organizations?q=seeded%20organization%2000&limit=25", token=stage.agent)
