"""Write a seed with N orgs: ``python -m genesys_emulator.seedgen --orgs 500 --out seed.json``.

Org ``org-0001`` gets the admin client ``org-0001-admin`` (secret ``org-0001-admin-secret``, all permissions),
the preserved bot client ``org-0001-bot`` (secret ``org-0001-bot-secret``) and the user
``admin@org-0001.example`` (password ``org-0001-password``).
"""

import argparse
import json
import sys

import yaml


def make_seed(count, prefix="org", region="us-east-1", permissions=("*",)):
    width = max(4, len(str(count)))
    orgs = []
    for i in range(1, count + 1):
        name = "%s-%0*d" % (prefix, width, i)
        orgs.append({
            "name": name,
            "display_name": "%s %d" % (prefix.title(), i),
            "region": region,
            "clients": [
                {"id": name + "-admin", "secret": name + "-admin-secret", "name": "SSO automation",
                 "grant_type": "CLIENT-CREDENTIALS", "permissions": list(permissions),
                 "roles": [{"name": "SSO Admin", "division_id": "*"}]},
                {"id": name + "-bot", "secret": name + "-bot-secret", "name": "Preserved bot",
                 "grant_type": "CLIENT-CREDENTIALS", "permissions": ["analytics:*"],
                 "roles": [{"name": "Bot", "division_id": "*"}]},
            ],
            "users": [{"email": "admin@%s.example" % name, "password": name + "-password"}],
        })
    return {"orgs": orgs}


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m genesys_emulator.seedgen")
    parser.add_argument("--orgs", type=int, required=True)
    parser.add_argument("--out", required=True, help="output file (.json, or .yml/.yaml)")
    parser.add_argument("--prefix", default="org")
    parser.add_argument("--region", default="us-east-1")
    args = parser.parse_args(argv)
    seed = make_seed(args.orgs, args.prefix, args.region)
    with open(args.out, "w", encoding="utf-8") as handle:
        if args.out.endswith((".yml", ".yaml")):
            yaml.safe_dump(seed, handle, sort_keys=False)
        else:
            json.dump(seed, handle)
    return 0


if __name__ == "__main__":
    sys.exit(main())
