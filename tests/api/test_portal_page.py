"""The portal page as HTTP serves it: strict CSP, no inline script, light, public switches only."""

from __future__ import annotations

import re

from devtools.portal_weight import BUDGET_BYTES, chalice_client_fetch, first_load


def test_portal_page_is_html_with_a_strict_csp_and_no_inline_script(api):
    answer = api.get("/portal", headers={"Accept": "text/html"})
    assert answer.status == 200
    assert answer.headers["content-type"].startswith("text/html")
    csp = answer.headers["content-security-policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp and "unsafe-eval" not in csp
    assert "default-src 'none'" in csp
    html = answer.body.decode()
    scripts = re.findall(r"<script\b([^>]*)>(.*?)</script>", html, flags=re.S)
    assert scripts, "the page loads its script"
    assert all('src="' in attrs and body.strip() == "" for attrs, body in scripts)
    assert not re.search(r"\son[a-z]+=", html), "no inline event handlers"


def test_portal_assets_are_served_with_their_types_and_unknown_names_are_404(api):
    assert api.get("/portal/static/portal.js").headers["content-type"].startswith("text/javascript")
    assert api.get("/portal/static/portal.css").headers["content-type"].startswith("text/css")
    assert api.get("/portal/static/missing.js").status == 404
    assert api.get("/portal/static/..%2Fapp.py").status == 404


def test_portal_script_never_touches_web_storage_and_never_writes_html():
    from chalicelib.routes.public import PORTAL_DIR

    script = (PORTAL_DIR / "static" / "portal.js").read_text()
    for forbidden in ("localStorage", "sessionStorage", "innerHTML", "outerHTML", "insertAdjacentHTML",
                      "document.write", "eval(", "new Function"):
        assert forbidden not in script, forbidden


def test_portal_config_tells_the_page_the_public_switches(api, admin_token):
    config = api.get("/portal/config").json
    assert set(config) == {"portal_enabled", "self_signup", "allow_client_rating", "ticket_categories"}
    assert config["portal_enabled"] is True and config["self_signup"] is False  # private by default
    api.patch("/agent/settings", json={"self_signup": True}, token=admin_token)
    assert api.get("/portal/config").json["self_signup"] is True


def test_portal_config_tells_the_page_when_the_portal_is_off(api, admin_token):
    api.patch("/agent/settings", json={"portal_enabled": False}, token=admin_token)
    answer = api.get("/portal/config")
    # Either the portal gate refuses (403 portal_blocked) or the switch says off: the page shows
    # "Client self-service portal temporarily blocked" for both.
    if answer.status == 403:
        assert answer.code == "portal_blocked"
    else:
        assert answer.json["portal_enabled"] is False


def test_login_page_first_load_is_within_60_kb(api):
    rows = first_load(chalice_client_fetch(api.client))
    paths = [path for path, _, _ in rows]
    assert "/portal/static/portal.js" in paths and "/portal/static/portal.css" in paths
    assert sum(size for _, _, size in rows) <= BUDGET_BYTES, rows


def test_portal_css_and_js_are_served_without_comments_and_indentation_keeping_their_lines(api):
    import re

    from chalicelib.routes.public import PORTAL_DIR

    for name in ("portal.js", "portal.css"):
        source = (PORTAL_DIR / "static" / name).read_text()
        # compact() cuts from "/*" to "*/": that is only safe while no string holds either.
        assert not re.search(r"""(["'])[^"'\n]*(/\*|\*/)[^"'\n]*\1""", source), name
        served = api.get(f"/portal/static/{name}").body.decode()
        assert served.count("\n") == source.count("\n"), name  # error line numbers match the source
        assert "/*" not in served and not re.search(r"^[ \t]", served, re.M), name
        assert len(served) < len(source), name
