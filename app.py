"""Portico's Chalice app: creates the app and wires blueprints and middleware. Thin."""

from chalice import Chalice

from chalicelib.routes import middleware, organizations, public, settings

# Chalice would attach a plain-text handler to the "portico" logger that Powertools
# Logger (JSON) also uses; one format only.
app = Chalice(app_name="portico", configure_logs=False)
app.register_middleware(middleware.all_middleware, "all")
app.register_middleware(middleware.http_middleware, "http")

for module in (public, organizations, settings):
    app.register_blueprint(module.blueprint)
