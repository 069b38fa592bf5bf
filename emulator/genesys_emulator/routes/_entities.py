"""Entity shapes several route files answer (an org reference, a client's role divisions)."""


def org_entity(org):
    return {"id": org["id"], "name": org["display_name"]}


def role_divisions(client):
    return [{"roleId": r["id"], "divisionId": r["division_id"]} for r in client["roles"]]
