"""Execution environment metadata and the ansible-builder v3 build context.

No container engine runs here, so the image itself is not built. What is tested instead:

* ``meta/execution-environment.yml`` points at files that the collection artifact ships;
* ``bindep.txt`` parses and gives the intended packages per platform and profile;
* ``ansible-builder create`` turns ``execution-environment.yml`` into a build context with the
  expected Containerfile, requirement files and collection tarball;
* the two build steps that decide the image's content are replayed from that context without a
  container: the galaxy stage's ``ansible-galaxy collection install -r requirements.yml`` (run in
  ``_build`` as the Containerfile does) and the builder stage's ``introspect.py``, which must find
  the collection's own requirements through ``meta/execution-environment.yml``.
"""
from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest
import yaml
from bindep.depends import Depends
from packaging.requirements import Requirement

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent


def tool(name):
    path = BIN / name
    return str(path) if path.exists() else shutil.which(name)


def load_yaml(path):
    with open(path, encoding='utf-8') as fh:
        return yaml.safe_load(fh)


def requirement_lines(text):
    return [line.split('#', 1)[0].strip() for line in text.splitlines() if line.split('#', 1)[0].strip()]


def galaxy_version():
    return load_yaml(ROOT / 'galaxy.yml')['version']


@pytest.fixture(scope='module')
def tarball(tmp_path_factory):
    """The collection artifact, built from the working tree."""
    out = tmp_path_factory.mktemp('dist')
    subprocess.run([tool('ansible-galaxy'), 'collection', 'build', '--force', '--output-path', str(out)],
                   cwd=ROOT, check=True, capture_output=True, text=True, timeout=120)
    files = list(out.glob('genesyscloud-sso-*.tar.gz'))
    assert len(files) == 1, files
    return files[0]


@pytest.fixture(scope='module')
def context(tmp_path_factory, tarball):
    """`ansible-builder create` run on a copy of the EE definition laid out as in the repo."""
    work = tmp_path_factory.mktemp('ee')
    for name in ('execution-environment.yml', 'requirements.txt', 'bindep.txt'):
        shutil.copy2(ROOT / name, work / name)
    (work / 'build' / 'dist').mkdir(parents=True)
    shutil.copy2(tarball, work / 'build' / 'dist' / tarball.name)
    proc = subprocess.run([tool('ansible-builder'), 'create', '-f', 'execution-environment.yml', '-c', 'context',
                           '--output-filename', 'Containerfile'],
                          cwd=work, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return work / 'context'


def test_meta_execution_environment_points_at_shipped_files(tarball):
    meta = load_yaml(ROOT / 'meta' / 'execution-environment.yml')
    assert meta['version'] == 1
    deps = meta['dependencies']
    assert deps == {'python': 'requirements.txt', 'system': 'bindep.txt'}
    with tarfile.open(tarball) as tar:
        names = set(tar.getnames())
        for rel in ('meta/execution-environment.yml', deps['python'], deps['system']):
            assert rel in names, '%s is not in the collection artifact' % rel
        shipped = tar.extractfile(deps['python']).read().decode()
    assert shipped == (ROOT / 'requirements.txt').read_text()
    names = {Requirement(line).name for line in requirement_lines(shipped)}
    assert names == {'requests', 'cryptography', 'defusedxml'}


def test_bindep_profiles():
    deps = Depends((ROOT / 'bindep.txt').read_text())

    def packages(*profiles):
        return set(deps.list_all_packages(deps.active_rules(list(profiles))))

    # run time: only a CA bundle, on both package families
    assert packages('platform:rpm', 'default') == {'ca-certificates'}
    assert packages('platform:dpkg', 'default') == {'ca-certificates'}
    # builder stage only: what building cryptography/cffi from source needs
    assert packages('platform:rpm', 'compile') == {
        'ca-certificates', 'gcc', 'libffi-devel', 'openssl-devel', 'python3-devel'}
    assert packages('platform:dpkg', 'compile') == {
        'ca-certificates', 'build-essential', 'libffi-dev', 'libssl-dev', 'python3-dev'}


def test_execution_environment_definition_is_v3_and_pins_this_version():
    ee = load_yaml(ROOT / 'execution-environment.yml')
    assert ee['version'] == 3
    deps = ee['dependencies']
    assert deps['python'] == 'requirements.txt' and deps['system'] == 'bindep.txt'
    # the tarball the EE installs is the one `ansible-galaxy collection build` names for galaxy.yml's version
    expected = 'genesyscloud-sso-%s.tar.gz' % galaxy_version()
    assert [c['name'] for c in deps['galaxy']['collections']] == ['collections/' + expected]
    assert [f['src'] for f in ee['additional_build_files']] == ['build/dist/' + expected]
    assert [f['dest'] for f in ee['additional_build_files']] == ['collections']
    # ansible-core 2.19 (the tested core) needs Python >= 3.11 inside the image
    core = Requirement(deps['ansible_core']['package_pip'])
    assert core.name == 'ansible-core' and core.specifier.contains('2.19.14') and not core.specifier.contains('2.20.0')
    assert re.fullmatch(r'/usr/bin/python3\.1[1-9]', deps['python_interpreter']['python_path'])


def test_builder_create_writes_the_build_context(context, tarball):
    containerfile = (context / 'Containerfile').read_text()
    ee = load_yaml(ROOT / 'execution-environment.yml')
    assert 'ARG EE_BASE_IMAGE="%s"' % ee['images']['base_image']['name'] in containerfile
    assert 'ARG PYCMD="%s"' % ee['dependencies']['python_interpreter']['python_path'] in containerfile
    assert re.search(r'ARG ANSIBLE_INSTALL_REFS="ansible-core>=2\.19,<2\.20 ansible-runner>=2\.4,<3"', containerfile)
    for stage in ('AS base', 'AS galaxy', 'AS builder', 'AS final'):
        assert stage in containerfile
    assert 'ansible-galaxy collection install' in containerfile and '-r requirements.yml' in containerfile
    assert 'introspect.py introspect --user-pip=requirements.txt --user-bindep=bindep.txt' in containerfile

    build = context / '_build'
    assert requirement_lines((build / 'requirements.txt').read_text()) == \
        requirement_lines((ROOT / 'requirements.txt').read_text())
    assert (build / 'bindep.txt').read_text() == (ROOT / 'bindep.txt').read_text()
    assert load_yaml(build / 'requirements.yml') == {
        'collections': [{'name': 'collections/' + tarball.name, 'type': 'file'}]}
    assert (build / 'collections' / tarball.name).read_bytes() == tarball.read_bytes()
    for script in ('assemble', 'introspect.py', 'install-from-bindep', 'pip_install'):
        assert (build / 'scripts' / script).is_file()


def test_build_context_installs_the_collection_and_introspects_its_requirements(context, tmp_path):
    """Replay the galaxy and builder stages of the Containerfile on this machine."""
    build = context / '_build'
    colls = tmp_path / 'collections'
    # galaxy stage: WORKDIR /build (= _build), `ansible-galaxy collection install -r requirements.yml`
    # (--force: a genesyscloud.sso 1.0.0 found on another configured collections path must not count as installed)
    proc = subprocess.run([tool('ansible-galaxy'), 'collection', 'install', '--offline', '--force', '-r',
                           'requirements.yml', '--collections-path', str(colls)],
                          cwd=build, capture_output=True, text=True, timeout=120,
                          env=dict(os.environ, ANSIBLE_GALAXY_DISABLE_GPG_VERIFY='1', ANSIBLE_COLLECTIONS_PATH=str(colls)))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    installed = colls / 'ansible_collections' / 'genesyscloud' / 'sso'
    assert (installed / 'meta' / 'execution-environment.yml').is_file()
    assert (installed / 'roles' / 'saml_sso').is_dir()

    # builder stage: introspect.py merges the user files with every installed collection's metadata
    pip_out, bindep_out = tmp_path / 'pip.txt', tmp_path / 'bindep.txt'
    proc = subprocess.run([sys.executable, str(build / 'scripts' / 'introspect.py'), 'introspect',
                           '--user-pip', str(build / 'requirements.txt'), '--user-bindep', str(build / 'bindep.txt'),
                           '--write-pip', str(pip_out), '--write-bindep', str(bindep_out), str(colls)],
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    pip_lines = pip_out.read_text().splitlines()
    from_collection = {Requirement(line.split('#')[0]).name for line in pip_lines
                       if line.endswith('# from collection genesyscloud.sso')}
    assert from_collection == {'requests', 'cryptography', 'defusedxml'}
    merged = Depends(bindep_out.read_text())
    assert set(merged.list_all_packages(merged.active_rules(['platform:rpm', 'default']))) == {'ca-certificates'}
    assert any(line.endswith('# from collection genesyscloud.sso') for line in bindep_out.read_text().splitlines())
