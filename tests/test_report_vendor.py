"""The vendored Plotly bundle (advisor/outputs/report/vendor/): the file npm serves for
plotly.js-cartesian-dist-min at the version its README names, and the same plotly.js as
the pinned ``plotly`` Python package (figures are validated against that one)."""

from __future__ import annotations

import hashlib
import re

from advisor.outputs.report import render

README = render.VENDOR / "README.md"


def test_bundle_checksum_matches_the_readme_and_the_constant():
    digest = hashlib.sha256((render.VENDOR / "plotly-cartesian.min.js").read_bytes()).hexdigest()
    assert f"sha256: {digest}" in README.read_text()
    assert digest == render.PLOTLY_SHA256


def test_bundle_version_is_the_python_packages_plotly_js():
    from plotly.offline import get_plotlyjs

    header = render.plotly_bundle()[:200]
    vendored = re.search(r"plotly\.js \(cartesian - minified\) v(\d+\.\d+\.\d+)", header)
    python = re.search(r"plotly\.js v(\d+\.\d+\.\d+)", get_plotlyjs()[:200])
    assert vendored and python
    assert vendored.group(1) == python.group(1) == render.PLOTLY_VERSION
    assert f"version: {render.PLOTLY_VERSION}" in README.read_text()
    assert f"plotly-cartesian-{render.PLOTLY_VERSION}.min.js" == render.PLOTLY_FILE


def test_licence_is_shipped_with_the_bundle():
    assert "MIT License" in (render.VENDOR / "LICENSE").read_text()


def test_shared_file_is_written_once_and_rewritten_when_different(tmp_path):
    path = render.write_plotly_file(tmp_path)
    assert path == tmp_path / render.PLOTLY_FILE
    assert path.read_text() == render.plotly_bundle()
    before = path.stat().st_mtime_ns
    render.write_plotly_file(tmp_path)
    assert path.stat().st_mtime_ns == before  # identical: left alone
    path.write_text("damaged")
    render.write_plotly_file(tmp_path)
    assert path.read_text() == render.plotly_bundle()
