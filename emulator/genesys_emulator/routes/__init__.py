"""The route files. Each declares ``ROUTES = RouteList()`` and decorates its handlers; :func:`build_table` puts
every one into the emulator's one route table (a second handler for the same method + pattern is refused).

| file | paths |
|---|---|
| ``auth.py`` | ``POST /oauth/token`` (login service), ``GET/HEAD/DELETE /api/v2/tokens/me`` |
| ``saml.py`` | ``POST /saml`` (the ACS) |
| ``identityproviders.py`` | ``/api/v2/identityproviders[/{key}]`` (calls ``store.providers``) |
| ``organizations.py`` | ``GET /api/v2/organizations/me`` |
| ``oauth.py`` | ``GET /api/v2/oauth/clients[/{client_id}]`` |
| ``authorization.py`` | ``GET /api/v2/authorization/roles/{role_id}`` |
| ``control.py`` | ``/_emulator/...`` (no auth; test control) |
"""

from ..routing import RouteTable
from . import auth, authorization, control, identityproviders, oauth, organizations, saml

FILES = (auth, saml, identityproviders, organizations, oauth, authorization, control)


def build_table():
    table = RouteTable()
    for module in FILES:
        for route in module.ROUTES:
            table.add(route)
    return table
