def test_settings_roundtrip(api, admin_token):
    r = api.get("/agent/settings", token=admin_token)
    assert r.status == 200, r.body
    print(r.json)
    r = api.patch("/agent/settings", {"self_signup": True}, token=admin_token)
    assert r.status == 200, r.body
    assert r.json["self_signup"] is True
    r = api.post("/agent/organizations", {"name": " Acme "}, token=admin_token)
    assert r.status == 201, r.body
    r = api.get("/agent/organizations", token=admin_token)
    assert r.status == 200 and r.json["items"][0]["name"] == "Acme", r.body
    assert api.get("/agent/settings").status == 401
    assert api.get("/agent/settings", token="garbage").status == 401
    r = api.get("/openapi.json")
    assert r.status == 200, r.body
