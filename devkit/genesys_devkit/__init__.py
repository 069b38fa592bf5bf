"""The development kit of genesyscloud.sso: the one place for what tests, the benchmark and the tools share.

Not collection content (``galaxy.yml`` ``build_ignore`` and ``tools/gates.py`` ``NOT_COLLECTION`` leave ``devkit/`` out
of the artifact and of the ansible-test copy). Put ``<repo>/devkit`` on ``sys.path`` and import the modules:

* :mod:`genesys_devkit.paths` - the repo, the venv's bin directory and its python, the emulator directory
* :mod:`genesys_devkit.collections` - the ``.collections/ansible_collections/genesyscloud/sso`` link
* :mod:`genesys_devkit.ansible_env` - the environment of an Ansible run
* :mod:`genesys_devkit.playbook` - the playbook runner (subprocess and ansible-runner modes), timed commands, the recap
* :mod:`genesys_devkit.emulator` - the emulator launcher (``genesys_emulator.testing.EmulatorProcess`` plus a few helpers)
* :mod:`genesys_devkit.seeds` - org, client, user and fleet seeds of the emulator
* :mod:`genesys_devkit.certs` - test certificates (RSA/EC, validity window, CN; PEM, DER, bare base64)

The unit tests (ansible-test units, which sees only collection content) cannot import this package: their one fake
HTTP response lives in ``tests/unit/plugins/module_utils/fake_http.py``.
"""
