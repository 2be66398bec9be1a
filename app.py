"""Portico's Chalice app: creates the app and wires blueprints and middleware. Thin."""

from chalice import Chalice

from chalicelib.routes import middleware, organizations, public, settings

app = Chalice(app_name="portico")
app.register_middleware(middleware.all_middleware, "all")
app.register_middleware(middleware.http_middleware, "http")

for module in (public, organizations, settings):
    app.register_blueprint(module.blueprint)
