"""The one ``.collections/ansible_collections/genesyscloud/sso -> ../../..`` link (the repo is the collection root).

``ANSIBLE_COLLECTIONS_PATH=<repo>/.collections`` makes ansible-playbook, ansible-doc and ansible-lint find the
working tree; ``sys.path`` with it imports ``ansible_collections.genesyscloud.sso`` in-process.
"""

import os
import shutil

from genesys_devkit.paths import COLLECTIONS, on_sys_path

LINK_TARGET = os.path.join('..', '..', '..')


def collection_link(collections=COLLECTIONS):
    return os.path.join(collections, 'ansible_collections', 'genesyscloud', 'sso')


def ensure_collections_link(collections=COLLECTIONS, replace=False, add_to_sys_path=False):
    """Create the link when missing (safe when parallel workers race); return the collections path.

    A non-link at its place (a copy) is left alone unless ``replace`` (the gates replace it; tests never do).
    ``add_to_sys_path``: also put the collections path on ``sys.path`` (in-process imports of the collection).
    """
    link = collection_link(collections)
    if not os.path.islink(link) and os.path.lexists(link) and replace:
        shutil.rmtree(link) if os.path.isdir(link) else os.remove(link)
    if not os.path.lexists(link):
        os.makedirs(os.path.dirname(link), exist_ok=True)
        try:
            os.symlink(LINK_TARGET, link)
        except FileExistsError:  # another worker was first
            pass
    if add_to_sys_path:
        on_sys_path(collections)
    return collections
