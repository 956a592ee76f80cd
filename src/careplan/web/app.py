"""The Flask application behind ``careplan serve``: pages, downloads and their safeguards.

Every request must name an allowed Host (400 otherwise: DNS rebinding) and carry the session
cookie that the token in the opening URL was exchanged for (403 otherwise); every POST needs
its CSRF token (400). Patient data travels only in POST bodies, responses are never cached,
the Content-Security-Policy allows only this server's own files, and errors are generic
pages: a log names an exception's type, never its message.
"""

from __future__ import annotations

import logging
import secrets
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, Protocol

from flask import Flask, Response, abort, jsonify, redirect, render_template, request, session
from flask import url_for as flask_url_for
from flask_wtf.csrf import CSRFProtect
from jinja2 import StrictUndefined
from werkzeug.exceptions import HTTPException, RequestEntityTooLarge
from werkzeug.wrappers import Response as BaseResponse

from careplan.clinic import PRRT_MEASURES, TEXT_KEYS, Clinic
from careplan.errors import Problem, ProfileError
from careplan.fonts import font_problems
from careplan.inputs import CSV_SUFFIXES, Record, to_profile
from careplan.inputs.yamlfile import MAX_PROFILE_BYTES
from careplan.library import load_library
from careplan.model import ParsedProfile
from careplan.options import RenderOptions
from careplan.output import handout_name, safe_stem
from careplan.plan import explain
from careplan.render import plan_for
from careplan.resources import templates_dir
from careplan.vocab import Vocabulary, load_vocabulary
from careplan.web import form as webform
from careplan.web.workers import (
    CHECKED,
    DONE,
    MAX_ROWS,
    RUNNING,
    Batches,
    BatchJob,
    Busy,
    TooManyRows,
)
from careplan.worker import WRITTEN, RowResult
from careplan.yamlio import YamlInputError, parse_plain_yaml

LOG = logging.getLogger("careplan.web")
LOOPBACK_HOSTS = ("127.0.0.1", "localhost")
MAX_BODY = 2 * 1024 * 1024
CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; "
    "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
)
MESSAGES = {
    400: "This request was refused. Go back, reload the page and try again.",
    403: "Open the link printed in the terminal where careplan serve is running.",
    404: "There is nothing here. The batch may have been deleted.",
    405: "This page cannot be used that way.",
    409: "A batch is being made. Wait until it has finished, then try again.",
    413: "That is too large: careplan serve takes files of at most 2 MB.",
}
GENERIC = "Something went wrong. Go back and try again; if it happens again, restart careplan."


class Renderer(Protocol):
    """What renders one handout (``WarmRenderer``): a result with the PDF in ``data``."""

    def render(self, record: Record, options: RenderOptions) -> RowResult: ...


@dataclass
class WebSettings:
    """What one launch serves: its token, clinic, renderers and allowed Host names."""

    token: str
    clinic: Clinic
    renderer: Renderer
    batches: Batches
    hosts: tuple[str, ...] = LOOPBACK_HOSTS
    on_quit: Callable[[], None] = lambda: None
    vocab: Vocabulary | None = None
    last_seen: float = field(default_factory=time.monotonic)

    def idle_seconds(self) -> float:
        """Return how long no page has been asked for (0 while a batch renders)."""
        return 0.0 if self.batches.running() else time.monotonic() - self.last_seen


class _Flask(Flask):
    """Flask, logging an unhandled exception's type only (its message could quote a patient)."""

    def log_exception(self, exc_info: Any) -> None:
        """Log the exception's type, never its message or traceback."""
        LOG.error("careplan serve: unexpected %s", getattr(exc_info[0], "__name__", "error"))


class TypeOnly(logging.Filter):
    """Reduce a log record's exception to its type (for waitress's own log)."""

    def filter(self, record: logging.LogRecord) -> bool:
        """Drop the traceback and message; keep what kind of exception it was."""
        if record.exc_info and record.exc_info[0] is not None:
            record.msg = f"careplan serve: unexpected {record.exc_info[0].__name__}"
            record.args = ()
        record.exc_info, record.exc_text = None, None
        return True


class RowLimit(RequestEntityTooLarge):
    """A CSV with more rows than one batch takes (413, with the limit in words)."""

    description = (
        f"This file has more than {MAX_ROWS:,} rows (one thousand). careplan serve makes at "
        f"most {MAX_ROWS:,} handouts at a time: split the file and upload each part."
    )


def create_app(settings: WebSettings) -> Flask:
    """Return the Flask application for one launch of ``careplan serve``."""
    web = templates_dir() / "web"
    app = _Flask(__name__, template_folder=str(web), static_folder=str(web / "static"))
    app.config.update(
        SECRET_KEY=secrets.token_bytes(32),
        SESSION_COOKIE_NAME="careplan_session",
        SESSION_COOKIE_SAMESITE="Strict",
        SESSION_COOKIE_HTTPONLY=True,
        MAX_CONTENT_LENGTH=MAX_BODY,
        MAX_FORM_MEMORY_SIZE=MAX_BODY,
        TRUSTED_HOSTS=list(settings.hosts),
        WTF_CSRF_TIME_LIMIT=None,  # valid for the launch: the secret key is new each time
        SEND_FILE_MAX_AGE_DEFAULT=0,
    )
    app.jinja_env.undefined = StrictUndefined
    app.jinja_env.filters["sentence"] = sentence
    vocab = settings.vocab or load_vocabulary()
    fields = webform.profile_fields(vocab)
    profile_keys = {f.name for f in fields}
    options = webform.option_fields(exclude=profile_keys)
    batch_options = webform.option_fields()

    @app.before_request
    def guard() -> BaseResponse | None:
        host = request.host.rsplit(":", 1)[0].strip("[]") if request.host else ""
        if host not in settings.hosts:
            abort(400)
        token = request.args.get("token")
        if request.endpoint == "index" and request.method == "GET" and token is not None:
            if not secrets.compare_digest(token.encode(), settings.token.encode()):
                abort(403)
            session["signed_in"] = True
            return redirect(flask_url_for("index"), 303)
        if session.get("signed_in") is not True:
            abort(403)
        settings.last_seen = time.monotonic()
        return None

    CSRFProtect(app)  # after the guard: no session is 403 before a missing token is 400

    @app.after_request
    def headers(response: Response) -> Response:
        response.headers["Cache-Control"] = "no-store"
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["Referrer-Policy"] = "no-referrer"
        response.headers["X-Frame-Options"] = "DENY"
        response.headers["Content-Security-Policy"] = (
            CSP if response.mimetype == "text/html" else "frame-ancestors 'none'"
        )
        return response

    @app.errorhandler(Exception)
    def failure(error: Exception) -> tuple[str, int]:
        if isinstance(error, HTTPException):
            code = error.code or 500
            message = error.description if isinstance(error, RowLimit) else MESSAGES.get(code)
        else:
            LOG.error("careplan serve: unexpected %s", type(error).__name__)
            code, message = 500, None
        return render_template("error.html", code=code, message=message or GENERIC), code

    @app.context_processor
    def globals_() -> dict[str, Any]:
        return {"clinic_warnings": clinic_warnings(settings.clinic)}

    def page(
        state: webform.FormState,
        option_state: dict[str, Any],
        *,
        problems: Iterable[Problem] = (),
        warnings: Iterable[Problem | str] = (),
        notes: Iterable[str] = (),
        contents: dict[str, Any] | None = None,
        status: int = 200,
    ) -> tuple[str, int]:
        problems = list(problems)
        by_field: dict[str, list[str]] = {}
        general = []
        for p in problems:
            if p.field in profile_keys or (p.field or "").startswith(webform.OPTION_PREFIX):
                by_field.setdefault(p.field or "", []).append(p.message)
            else:
                general.append(p.message)
        labels = {f.name: f.label for f in fields} | {o.input_name: o.label for o in options}
        html = render_template(
            "form.html",
            fields=fields,
            options=options,
            state=state,
            option_state=option_state,
            statuses=webform.status_choices(vocab),
            errors=by_field,
            labels=labels,
            general=general,
            warnings=[w.message if isinstance(w, Problem) else w for w in warnings],
            notes=list(notes),
            contents=contents,
        )
        return html, status

    def read_form() -> tuple[webform.FormState, dict[str, Any]]:
        form = request.form
        return webform.state_from_form(form, fields), webform.options_state(form, options)

    def check(
        state: webform.FormState, option_state: dict[str, Any]
    ) -> tuple[ParsedProfile | None, RenderOptions | None, Record, list[Problem]]:
        values = webform.profile_values(state, fields)
        record = Record(webform.SOURCE, None, values, raw_id=str(values.get("id") or "").strip())
        chosen, problems = webform.render_options(option_state, options)
        try:
            parsed = to_profile(record, vocab=vocab)
        except ProfileError as error:
            return None, chosen, record, [*error.problems, *problems]
        return parsed, chosen, record, problems

    def checked_page(
        state: webform.FormState, option_state: dict[str, Any], notes: Iterable[str] = ()
    ) -> tuple[str, int]:
        parsed, chosen, _, problems = check(state, option_state)
        if parsed is None or chosen is None:
            return page(state, option_state, problems=problems, notes=notes, status=422)
        plan = plan_for(parsed.profile, today=chosen.date)
        warnings: list[Problem | str] = [
            *parsed.warnings,
            *plan.warnings,
            *font_problems(parsed.profile, webform.SOURCE),
        ]
        return page(state, option_state, warnings=warnings, notes=notes, contents=explain(plan))

    @app.get("/")
    def index() -> tuple[str, int]:
        return page(webform.empty_state(fields), webform.default_options_state(options))

    @app.post("/")
    def check_form() -> tuple[str, int]:
        return checked_page(*read_form())

    def pdf(inline: bool) -> Response | tuple[str, int]:
        state, option_state = read_form()
        parsed, chosen, record, problems = check(state, option_state)
        if parsed is None or chosen is None:
            return page(state, option_state, problems=problems, status=422)
        result = settings.renderer.render(record, chosen)
        if result.status != WRITTEN or result.data is None:
            return page(state, option_state, problems=result.errors, status=422)
        name = handout_name(parsed.profile.id, "<stdin>", ".pdf")
        disposition = "inline" if inline else "attachment"
        response = Response(result.data, mimetype="application/pdf")
        response.headers["Content-Disposition"] = f'{disposition}; filename="{name}"'
        return response

    @app.post("/preview")
    def preview() -> Response | tuple[str, int]:
        return pdf(inline=True)

    @app.post("/download")
    def download() -> Response | tuple[str, int]:
        return pdf(inline=False)

    @app.post("/profile.yaml")
    def save_profile() -> Response:
        state, _ = read_form()
        values = webform.profile_values(state, fields)
        name = f"{safe_stem(str(values.get('id') or '')) or 'profile'}.yaml"
        response = Response(webform.profile_yaml(values), mimetype="application/x-yaml")
        response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
        return response

    @app.post("/load")
    def load_profile() -> tuple[str, int]:
        upload = request.files.get("profile")
        option_state = webform.options_state(request.form, options)
        data = upload.read(MAX_PROFILE_BYTES + 1) if upload else b""
        try:
            if not data.strip():
                raise YamlInputError("choose a profile file (.yaml) to load")
            if len(data) > MAX_PROFILE_BYTES:
                raise YamlInputError("the profile file is larger than 1 MB")
            values = parse_plain_yaml(data.decode("utf-8-sig"))
            if not isinstance(values, dict):
                raise YamlInputError("a profile file must be a mapping of keys to values")
        except (YamlInputError, UnicodeDecodeError) as error:
            why = str(error) if isinstance(error, YamlInputError) else "it is not UTF-8 text"
            problem = Problem("file", None, f"The profile could not be loaded: {why}")
            state = webform.empty_state(fields)
            return page(state, option_state, problems=[problem], status=422)
        state, notes = webform.state_from_values(values, fields, vocab)
        return checked_page(state, option_state, notes)

    def batch_page(option_state: dict[str, Any], problems: Iterable[Problem] = ()) -> str:
        errors: dict[str, list[str]] = {}
        for p in problems:
            errors.setdefault(p.field or "", []).append(p.message)
        general = errors.pop("", [])
        return render_template(
            "batch.html",
            options=batch_options,
            option_state=option_state,
            errors=errors,
            general=general,
            columns=fields,
            max_rows=MAX_ROWS,
        )

    @app.get("/batch")
    def batch() -> str:
        return batch_page(webform.default_options_state(batch_options))

    @app.post("/batch")
    def upload_batch() -> BaseResponse | tuple[str, int]:
        upload = request.files.get("csv")
        option_state = webform.options_state(request.form, batch_options)
        chosen, problems = webform.render_options(option_state, batch_options)
        filename = (upload.filename or "").casefold() if upload else ""
        if not filename.endswith(CSV_SUFFIXES):
            problems.append(Problem("file", None, "Choose a CSV file (.csv) to upload."))
        if problems or chosen is None or upload is None:
            return batch_page(option_state, problems), 422
        try:
            job = settings.batches.upload(upload.read(), chosen)
        except TooManyRows:
            raise RowLimit() from None
        except Busy:
            abort(409)
        return redirect(flask_url_for("batch_job", job_id=job.id), 303)

    def job_or_404(job_id: str) -> BatchJob:
        job = settings.batches.get(job_id)
        if job is None:
            abort(404)
        return job

    @app.get("/batch/<job_id>")
    def batch_job(job_id: str) -> str:
        job = job_or_404(job_id)
        done, total = job.progress.counts()
        problems = [(c.record.number, p.field, p.message) for c in job.checks for p in c.problems]
        warnings: list[tuple[int | None, str | None, str]] = [
            (None, p.field, p.message) for p in job.file_warnings
        ]
        warnings += [(c.record.number, p.field, p.message) for c in job.checks for p in c.warnings]
        return render_template(
            "batch_job.html",
            job=job,
            done=done,
            total=total,
            results=job.progress.results,
            rows_with_problems=problems,
            warnings=warnings,
        )

    @app.post("/batch/<job_id>/start")
    def start_batch(job_id: str) -> BaseResponse:
        job = job_or_404(job_id)
        if job.state == CHECKED and settings.batches.running():
            abort(409)
        settings.batches.start(job)
        return redirect(flask_url_for("batch_job", job_id=job.id), 303)

    @app.get("/batch/<job_id>/progress")
    def batch_progress(job_id: str) -> Response:
        job = job_or_404(job_id)
        done, total = job.progress.counts()
        return jsonify(done=done, total=total, running=job.state == RUNNING)

    @app.get("/batch/<job_id>/handouts.zip")
    def batch_zip(job_id: str) -> Response:
        job = job_or_404(job_id)
        if job.state != DONE:
            abort(404)
        path = settings.batches.zip(job)
        response = Response(path.read_bytes(), mimetype="application/zip")
        response.headers["Content-Disposition"] = 'attachment; filename="handouts.zip"'
        return response

    @app.post("/batch/<job_id>/delete")
    def delete_batch(job_id: str) -> BaseResponse:
        if not settings.batches.remove(job_or_404(job_id)):
            abort(409)
        return redirect(flask_url_for("batch"), 303)

    @app.get("/clinic")
    def clinic() -> str:
        return render_template(
            "clinic.html", rows=clinic_rows(settings.clinic), clinic=settings.clinic
        )

    @app.post("/quit")
    def quit_() -> str:
        settings.on_quit()
        return render_template("stopped.html")

    return app


def sentence(text: str) -> str:
    """Start a message with a capital and end it with a full stop (for the page)."""
    text = str(text).strip()
    if not text:
        return text
    text = text[0].upper() + text[1:]
    return text if text.endswith((".", "?", "!", ")")) else f"{text}."


def clinic_warnings(clinic: Clinic) -> list[str]:
    """Return what the nurse should know about the clinic file before making handouts."""
    return [str(w) for w in clinic.warnings()]


def clinic_rows(clinic: Clinic) -> list[dict[str, str]]:
    """Return each clinic value: what prints, and whether it is set, a default or a line."""
    labels = load_library().ui["en"].get("blank_label", {})
    names = [*TEXT_KEYS, *(f"prrt_days_{m}" for m in PRRT_MEASURES)]
    rows = []
    for name in names:
        value = clinic.get(name)
        label = labels.get("prrt_days" if name.startswith("prrt_days_") else name)
        if name in clinic.values:
            status = "set"
        elif value is not None:
            status = "default"
        else:
            status = "line"
            value = f"______ ({label or name.replace('_', ' ')})"
        shown = name.replace("prrt_days_", "PRRT precautions, days: ").replace("_", " ")
        shown = shown[0].upper() + shown[1:]
        rows.append({"name": shown, "value": value or "", "status": status})
    return rows
