"""careplan serve through Flask's test client: every route's safeguards, the form, downloads,
batches and the clinic page. One warm worker (spawned) renders for the whole module."""

from __future__ import annotations

import datetime as dt
import io
import json
import os
import re
import shutil
import stat
import subprocess
import sys
import textwrap
import threading
import time
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from flask import Flask
from flask.testing import FlaskClient
from pypdf import PdfReader
from werkzeug.datastructures import MultiDict

from careplan.clinic import Clinic, load_clinic
from careplan.inputs import load_profile
from careplan.options import RenderOptions
from careplan.render import render_profile
from careplan.resources import CONTENT_DIR
from careplan.vocab import load_vocabulary
from careplan.web import form as webform
from careplan.web.app import CSP, WebSettings, create_app
from careplan.web.server import Server, allowed_hosts, is_loopback
from careplan.web.workers import MAX_ROWS, Batches, WarmRenderer

ROOT = Path(__file__).resolve().parent.parent
WHIPPLE = ROOT / "profiles" / "pancreas-whipple-insulinoma.yaml"
MESSY = ROOT / "tests" / "data" / "csv" / "messy.csv"
TOKEN = "test-token-for-this-module"
DATE = "2026-11-26"
HOSTILE = "<script>alert(1)</script> {{7*7}} file:///etc/passwd"


@pytest.fixture(scope="module")
def settings() -> Iterator[WebSettings]:
    renderer = WarmRenderer(Clinic())
    renderer.start()
    batches = Batches(None, 2)
    quits: list[bool] = []
    yield WebSettings(
        token=TOKEN,
        clinic=Clinic(),
        renderer=renderer,
        batches=batches,
        on_quit=lambda: quits.append(True),
    )
    batches.close()
    renderer.close()


@pytest.fixture(scope="module")
def app(settings: WebSettings) -> Flask:
    return create_app(settings)


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    """A client that opened the token link (it has the session cookie)."""
    client = app.test_client()
    assert client.get(f"/?token={TOKEN}").status_code == 303
    return client


def csrf(client: FlaskClient, path: str = "/") -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', client.get(path).get_data(True))
    assert found
    return found.group(1)


def profile_form(path: Path = WHIPPLE, **changes: Any) -> list[tuple[str, str]]:
    """The fields a browser posts for a profile file, with today's printing options."""
    vocab = load_vocabulary()
    fields = webform.profile_fields(vocab)
    values = {**yaml.safe_load(path.read_text(encoding="utf-8")), **changes}
    state, _ = webform.state_from_values(values, fields, vocab)
    options = [("option.date", DATE), ("option.paper", "letter")]
    return [*webform.form_data(state, fields), *options, ("option.pdf_variant", "pdf/ua-1")]


def post(client: FlaskClient, path: str, data: list[tuple[str, str]], **kwargs: Any) -> Any:
    token = csrf(client)
    return client.post(path, data=MultiDict([("csrf_token", token), *data]), **kwargs)


def routes(app: Flask) -> list[tuple[str, str]]:
    out = []
    for rule in app.url_map.iter_rules():
        url = rule.build({a: "x" * 8 for a in rule.arguments}, append_unknown=False)[1]
        out += [(method, url) for method in sorted(rule.methods - {"HEAD", "OPTIONS"})]
    return out


def all_routes() -> list[tuple[str, str]]:
    settings = WebSettings(TOKEN, Clinic(), renderer=None, batches=None)  # type: ignore[arg-type]
    return routes(create_app(settings))


ROUTES = all_routes()
POSTS = [url for method, url in ROUTES if method == "POST"]


def test_the_route_list_covers_every_page() -> None:
    urls = {url for _, url in ROUTES}
    assert {"/", "/preview", "/download", "/batch", "/clinic", "/quit"} <= urls
    assert "/static/xxxxxxxx" in urls
    assert len(ROUTES) >= 14


@pytest.mark.parametrize(("method", "url"), ROUTES)
def test_every_route_without_a_session_is_403(app: Flask, method: str, url: str) -> None:
    response = app.test_client().open(url, method=method)
    assert response.status_code == 403
    assert "Open the link printed in the terminal" in response.get_data(True)


@pytest.mark.parametrize("url", POSTS)
def test_every_post_without_csrf_is_400(client: FlaskClient, url: str) -> None:
    assert client.post(url, data={"tumor_site": "pancreas"}).status_code == 400


@pytest.mark.parametrize(("method", "url"), ROUTES)
def test_every_route_with_a_foreign_host_is_400(client: FlaskClient, method: str, url: str) -> None:
    for host in ("evil.example", "evil.example:5000", "127.0.0.1.evil.example"):
        response = client.open(url, method=method, headers={"Host": host})
        assert response.status_code == 400, host
        assert response.headers["Cache-Control"] == "no-store"


def test_a_wrong_token_is_403_and_the_right_one_sets_a_strict_cookie(app: Flask) -> None:
    client = app.test_client()
    assert client.get("/?token=wrong").status_code == 403
    response = client.get(f"/?token={TOKEN}")
    assert response.status_code == 303
    assert response.headers["Location"] == "/"  # the token leaves the address bar
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie
    assert "SameSite=Strict" in cookie
    assert client.get("/").status_code == 200


def test_pages_and_pdfs_are_never_cached_and_pages_have_a_strict_csp(client: FlaskClient) -> None:
    page = client.get("/")
    assert page.headers["Cache-Control"] == "no-store"
    assert page.headers["Content-Security-Policy"] == CSP
    assert "default-src 'none'" in CSP
    assert "'unsafe-inline'" not in CSP
    assert "frame-ancestors 'none'" in CSP
    assert page.headers["X-Content-Type-Options"] == "nosniff"
    pdf = post(client, "/preview", profile_form())
    assert pdf.mimetype == "application/pdf"
    assert pdf.headers["Cache-Control"] == "no-store"
    assert pdf.headers["Content-Disposition"] == 'inline; filename="demo-01.pdf"'
    missing = client.get("/batch/nothing-here")
    assert missing.status_code == 404
    assert missing.headers["Cache-Control"] == "no-store"


def test_a_body_over_2_mb_is_413(client: FlaskClient) -> None:
    big = [("notes", "x" * (3 * 1024 * 1024))]
    assert post(client, "/", big).status_code == 413
    body = b"--b\r\nContent-Disposition: form-data; name=csv; filename=a.csv\r\n\r\n"
    body += b"x" * (3 * 1024 * 1024) + b"\r\n--b--\r\n"
    response = client.post("/batch", data=body, content_type="multipart/form-data; boundary=b")
    assert response.status_code == 413
    assert "2 MB" in response.get_data(True)


def test_a_csv_over_1000_rows_is_413_with_the_limit_in_words(
    client: FlaskClient, settings: WebSettings
) -> None:
    header = MESSY.read_text(encoding="utf-8-sig").splitlines()[0]
    rows = "\n".join(f"R{n};Name;pancreas;;;;surveillance;none;;;;;" for n in range(MAX_ROWS + 1))
    data = f"{header}\n{rows}\n".encode()
    response = client.post(
        "/batch", data={"csrf_token": csrf(client), "csv": (io.BytesIO(data), "day.csv")}
    )
    assert response.status_code == 413
    text = response.get_data(True)
    assert "more than 1,000 rows (one thousand)" in text
    assert settings.batches.current is None  # the upload's folder is gone


@pytest.mark.parametrize(
    ("profile_id", "name"),
    [("demo-01", "demo-01.pdf"), ("", "handout.pdf"), ("../../etc/passwd", "etc-passwd.pdf")],
)
def test_the_downloaded_pdf_is_named_from_the_id_only(
    client: FlaskClient, profile_id: str, name: str
) -> None:
    response = post(client, "/download", profile_form(id=profile_id))
    assert response.status_code == 200
    assert response.headers["Content-Disposition"] == f'attachment; filename="{name}"'
    assert "Maria" not in response.headers["Content-Disposition"]


def test_the_pdf_is_byte_identical_to_render_profile(client: FlaskClient) -> None:
    response = post(client, "/download", profile_form())
    options = RenderOptions(date=dt.date.fromisoformat(DATE))
    expected = render_profile(load_profile(WHIPPLE).profile, options=options)
    assert response.data == expected.data


def test_hostile_input_is_printed_literally(client: FlaskClient, pdf_text: Any) -> None:
    form = profile_form(patient_name=HOSTILE[:90], notes=HOSTILE)
    page = post(client, "/", form).get_data(True)
    assert "&lt;script&gt;alert(1)&lt;/script&gt; {{7*7}} file:///etc/passwd" in page
    assert "<script>alert" not in page
    saved = post(client, "/profile.yaml", form).get_data(True)
    assert yaml.safe_load(saved)["notes"] == HOSTILE
    text = pdf_text(post(client, "/download", form).data)
    assert HOSTILE in text


def test_errors_are_shown_next_to_their_fields_and_announced(client: FlaskClient) -> None:
    response = post(client, "/", profile_form(tumor_site="pancrea", grade="g7"))
    assert response.status_code == 422
    page = response.get_data(True)
    assert 'role="alert"' in page
    assert re.search(
        r'<select id="field-tumor_site" name="tumor_site" aria-describedby="error-tumor_site"'
        r' aria-invalid="true">',
        page,
    )
    error = re.search(r'<p class="error" id="error-tumor_site">(.*?)</p>', page, re.S)
    assert error
    assert "Did you mean &#39;pancreas&#39;?" in error.group(1)
    assert "7 characters" in error.group(1)
    assert 'href="#field-grade"' in page
    assert "pancrea (not an allowed value)" in page  # the nurse sees her own input


def test_a_valid_profile_shows_its_contents_and_the_nurse_warnings(
    client: FlaskClient, pdf_text: Any
) -> None:
    page = post(client, "/", profile_form()).get_data(True)
    assert "The profile is complete" in page
    assert "Whipple" in page
    assert 'id="warnings"' not in page
    odd = profile_form(
        tumor_site="lung",
        therapies=["prrt_lu177"],
        pancreatic_surgery="none",
        pancreatic_surgery_type="",
    )
    page = post(client, "/", odd).get_data(True)
    warnings = re.search(r'id="warnings">(.*?)</div>', page, re.S)
    assert warnings  # the plan's warnings for the nurse, never printed in the PDF
    assert "check with the prescriber" in warnings.group(1)
    text = pdf_text(post(client, "/download", odd).data)
    assert "check with the prescriber" not in text


def test_the_form_is_generated_from_the_vocabulary(client: FlaskClient) -> None:
    page = client.get("/").get_data(True)
    vocab = load_vocabulary()
    for key in vocab.keys.values():
        assert key.label.replace("'", "&#39;") in page
    for term in vocab.therapies.terms.values():
        assert f'value="{term.id}"' in page
    for term in vocab.statuses.terms.values():
        assert f">{term.label['en']}</option>" in page
    assert 'data-hidden-when="pancreatic_surgery=none"' in page


def test_a_new_vocabulary_value_appears_without_a_template_change(
    tmp_path: Path, settings: WebSettings
) -> None:
    content = tmp_path / "content"
    shutil.copytree(CONTENT_DIR, content)
    path = content / "vocabulary.yaml"
    text = path.read_text(encoding="utf-8")
    anchor = '      other:\n        label: "Another part of the body"'
    assert anchor in text
    extra = '      kidney_test:\n        label: "Kidney (test value)"\n        aliases: []\n'
    path.write_text(text.replace(anchor, extra + anchor, 1), encoding="utf-8")
    vocab = load_vocabulary(content, english_only=True)  # its Spanish label comes later
    app = create_app(WebSettings(TOKEN, Clinic(), settings.renderer, settings.batches, vocab=vocab))
    client = app.test_client()
    client.get(f"/?token={TOKEN}")
    page = client.get("/").get_data(True)
    assert '<option value="kidney_test">Kidney (test value)</option>' in page


def test_every_render_option_has_a_control() -> None:
    import dataclasses

    names = {f.name for f in dataclasses.fields(RenderOptions)}
    assert {o.name for o in webform.option_fields()} == names - webform.NOT_ON_THE_PAGE
    assert {"chart_copy", "chart_of"} == webform.NOT_ON_THE_PAGE
    assert "large_print" not in {o.name for o in webform.option_fields(exclude={"large_print"})}


def test_a_saved_profile_reads_back_as_the_same_profile(
    client: FlaskClient, tmp_path: Path
) -> None:
    response = post(client, "/profile.yaml", profile_form())
    assert response.headers["Content-Disposition"] == 'attachment; filename="demo-01.yaml"'
    saved = tmp_path / "saved.yaml"
    saved.write_bytes(response.data)
    assert load_profile(saved).profile == load_profile(WHIPPLE).profile


def test_loading_a_profile_fills_the_form(client: FlaskClient) -> None:
    upload = {"profile": (io.BytesIO(WHIPPLE.read_bytes()), "patient-maria.yaml")}
    response = client.post("/load", data={"csrf_token": csrf(client), **upload})
    page = response.get_data(True)
    assert response.status_code == 200
    assert 'value="done" selected' in page
    assert "Dietitian visit booked" in page
    bad = {"profile": (io.BytesIO(b"- a\n- list\n"), "x.yaml")}
    response = client.post("/load", data={"csrf_token": csrf(client), **bad})
    assert response.status_code == 422
    assert "must be a mapping" in response.get_data(True)


def wait_for_batch(client: FlaskClient, job_url: str) -> list[int]:
    seen = []
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        progress = client.get(f"{job_url}/progress").get_json()
        seen.append(progress["done"])
        if not progress["running"]:
            return seen
        time.sleep(0.1)
    raise AssertionError("the batch did not finish")


def test_a_batch_reports_each_row_then_renders_the_valid_ones_into_a_zip(
    client: FlaskClient, settings: WebSettings
) -> None:
    upload = {"csv": (io.BytesIO(MESSY.read_bytes()), "Maria Lopez day.csv")}
    response = client.post("/batch", data={"csrf_token": csrf(client), **upload})
    assert response.status_code == 303
    job_url = response.headers["Location"]
    job = settings.batches.current
    assert job is not None
    assert stat.S_IMODE(job.folder.stat().st_mode) == 0o700
    assert stat.S_IMODE(settings.batches.root.stat().st_mode) == 0o700
    assert not list(job.folder.glob("*Maria*"))  # never stored under the upload's name
    report = client.get(job_url).get_data(True)
    assert "9 rows: 6 ready, 3 with problems" in report
    assert "<td>9</td><td>tumor_site</td>" in report
    assert "Did you mean &#39;pancreas&#39;?" in report
    start = client.post(f"{job_url}/start", data={"csrf_token": csrf(client, job_url)})
    assert start.status_code == 303
    wait_for_batch(client, job_url)
    done = client.get(job_url).get_data(True)
    assert "6 written, 3 failed, 0 skipped" in done
    archive = client.get(f"{job_url}/handouts.zip")
    assert archive.headers["Content-Disposition"] == 'attachment; filename="handouts.zip"'
    assert archive.headers["Cache-Control"] == "no-store"
    names = zipfile.ZipFile(io.BytesIO(archive.data)).namelist()
    expected = [c.name for c in job.checks if not c.problems]
    assert names == [*expected, "report.csv", "all.pdf"]
    assert "n-5-2.pdf" in names  # named as careplan batch names a repeated id
    merged = PdfReader(io.BytesIO(zipfile.ZipFile(io.BytesIO(archive.data)).read("all.pdf")))
    assert len(merged.pages) > 20
    folder = job.folder
    delete = client.post(f"{job_url}/delete", data={"csrf_token": csrf(client, job_url)})
    assert delete.status_code == 303
    assert not folder.exists()
    assert client.get(job_url).status_code == 404


def test_the_clinic_page_shows_set_values_defaults_and_lines(app: Flask) -> None:
    client = app.test_client()
    client.get(f"/?token={TOKEN}")
    page = client.get("/clinic").get_data(True)
    assert "started without a clinic file" in page
    assert "Not set: a line to write on" in page
    assert "______ (care team phone)" in page
    clinic = load_clinic(ROOT / "examples" / "clinic.yaml")
    settings = WebSettings(TOKEN, clinic, renderer=None, batches=None)  # type: ignore[arg-type]
    other = create_app(settings).test_client()
    other.get(f"/?token={TOKEN}")
    page = other.get("/clinic").get_data(True)
    assert "(555) 010-2400" in page
    assert "The clinic file" in page
    assert "clinic-logo.png" in page


def test_quit_stops_the_server(client: FlaskClient, settings: WebSettings) -> None:
    response = post(client, "/quit", [])
    assert response.status_code == 200
    assert "careplan has stopped" in response.get_data(True)


def test_only_loopback_addresses_are_loopback() -> None:
    assert is_loopback("127.0.0.1")
    assert is_loopback("127.4.5.6")
    assert is_loopback("::1")
    assert is_loopback("localhost")
    assert not is_loopback("0.0.0.0")
    assert not is_loopback("192.168.1.2")


def test_another_host_is_added_to_the_allowed_hosts_and_still_needs_the_token(
    settings: WebSettings,
) -> None:
    assert allowed_hosts("127.0.0.1") == ("127.0.0.1", "localhost")
    hosts = allowed_hosts("192.168.1.2")
    assert hosts == ("127.0.0.1", "localhost", "192.168.1.2")
    app = create_app(WebSettings(TOKEN, Clinic(), settings.renderer, settings.batches, hosts))
    client = app.test_client()
    headers = {"Host": "192.168.1.2:8000"}
    assert client.get("/", headers=headers).status_code == 403
    assert client.get(f"/?token={TOKEN}", headers=headers).status_code == 303
    assert client.get("/", headers=headers).status_code == 200
    assert client.get("/", headers={"Host": "192.168.1.3"}).status_code == 400


def test_the_server_stops_when_idle_and_removes_its_folders() -> None:
    server = Server(idle_minutes=0.02)  # 1.2 seconds
    root = server.batches.root
    assert server.url.startswith(f"http://127.0.0.1:{server.port}/?token=")
    assert root.is_dir()
    thread = threading.Thread(target=server.run)
    thread.start()
    thread.join(timeout=60)
    assert not thread.is_alive()
    assert not root.exists()


def test_the_server_process_never_imports_weasyprint(tmp_path: Path) -> None:
    script = tmp_path / "probe.py"
    script.write_text(
        textwrap.dedent(
            f"""
            import io, json, re, sys, time
            from careplan.clinic import Clinic
            from careplan.web.app import WebSettings, create_app
            from careplan.web.workers import Batches, WarmRenderer

            def main():
                renderer, batches = WarmRenderer(Clinic()), Batches(None, 2)
                renderer.start()
                app = create_app(WebSettings("t", Clinic(), renderer, batches))
                client = app.test_client()
                client.get("/?token=t")
                token = lambda path: re.search(
                    r'name="csrf_token" value="([^"]+)"', client.get(path).get_data(True)
                ).group(1)
                form = {{"csrf_token": token("/"), "tumor_site": "lung",
                         "therapies": "active_surveillance", "pancreatic_surgery": "none",
                         "option.date": "{DATE}", "option.paper": "letter",
                         "option.pdf_variant": "pdf/ua-1"}}
                pdf = client.post("/download", data=form).data
                data = open({str(ROOT / "tests/data/csv/clinic-day.csv")!r}, "rb").read()
                upload = {{"csrf_token": token("/batch"), "option.date": "{DATE}",
                           "option.paper": "letter", "option.pdf_variant": "pdf/ua-1",
                           "csv": (io.BytesIO(data), "day.csv")}}
                job = client.post("/batch", data=upload).headers["Location"]
                client.post(job + "/start", data={{"csrf_token": token(job)}})
                while client.get(job + "/progress").get_json()["running"]:
                    time.sleep(0.2)
                archive = client.get(job + "/handouts.zip").data
                batches.close()
                renderer.close()
                print(json.dumps({{
                    "pdf": pdf[:5].decode(), "zip": archive[:2].decode(),
                    "weasyprint": sorted(m for m in sys.modules if m.startswith("weasyprint")),
                }}))

            if __name__ == "__main__":
                main()
            """
        ),
        encoding="utf-8",
    )
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    done = subprocess.run(
        [sys.executable, str(script)], capture_output=True, text=True, env=env, timeout=300
    )
    assert done.returncode == 0, done.stderr[-2000:]
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result == {"pdf": "%PDF-", "zip": "PK", "weasyprint": []}


def test_careplan_serve_is_a_command(runner: Any) -> None:
    from careplan.cli import cli

    result = runner.invoke(cli, ["serve", "--help"])
    assert result.exit_code == 0
    for option in ("--clinic", "--host", "--port", "--no-browser", "--jobs", "--idle-minutes"):
        assert option in result.output


def test_the_clinicians_copy_and_spanish_come_from_the_page(
    client: FlaskClient, pdf_text: Any
) -> None:
    """The copy and the language are choices on the page, with the CLI's rules: Spanish (a
    machine draft pending review) prints only with "print content pending review", and then
    says so; a clinician's copy is in English, whatever the profile's language."""
    clinician = post(client, "/download", [*profile_form(), ("option.copy", "clinician")])
    assert clinician.mimetype == "application/pdf"
    assert "Clinician's copy" in pdf_text(clinician.data)
    refused = post(client, "/download", profile_form(language="es"))
    assert refused.status_code == 422
    assert "pending review" in refused.get_data(True)
    allowed = [*profile_form(language="es"), ("option.allow_pending", "on")]
    spanish = post(client, "/download", allowed)
    assert spanish.mimetype == "application/pdf"
    text = pdf_text(spanish.data)
    assert "Traducción pendiente de revisión" in text
    assert "Su plan de cuidados" in text
    both = post(client, "/download", [*allowed, ("option.copy", "clinician")])
    assert "Clinician's copy" in pdf_text(both.data)  # in English, for the chart
    assert "Your care plan" in pdf_text(both.data)
