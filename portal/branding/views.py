"""Brands: the admins' pages (/staff/brands) and the public logo and colour files
(/brand/...), fingerprinted and cached for a year.

``page_brand()`` in a template is the brand of the opening the page or email is about, else
the default, else None (the portal's own look)."""

from __future__ import annotations

from typing import Any

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    g,
    has_request_context,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user
from jinja2 import pass_context
from jinja2.runtime import Context

from portal.accounts.models import Role
from portal.accounts.views import guard_staff
from portal.branding import services
from portal.branding.forms import BrandForm
from portal.branding.logos import clean_logo
from portal.branding.models import Brand
from portal.errors import DomainError
from portal.extensions import db, limiter

YEAR = 365 * 24 * 60 * 60

bp = Blueprint("branding", __name__, url_prefix="/staff/brands")
guard_staff(bp, roles=(Role.ADMIN.value,))
files_bp = Blueprint("brand_files", __name__, url_prefix="/brand")


# ---------------------------------------------------------------- templates

@pass_context
def page_brand(context: Context) -> Brand | None:
    """The brand of what the template is about (its ``opening``, ``application``,
    ``interview`` or ``invite``), else the default; once per request and opening."""
    code = context.get("code")
    if isinstance(code, int) and code >= 500:
        return None  # an error page (perhaps the database is away) reads nothing more
    opening = services.opening_of(context)
    key = getattr(opening, "brand_id", None)
    if not has_request_context():  # the worker: no cache across messages
        return services.brand_for_opening(db.session, opening)
    cache = g.setdefault("page_brands", {})
    if key not in cache:
        cache[key] = services.brand_for_opening(db.session, opening)
    return cache[key]  # type: ignore[no-any-return]


def logo_path(brand: Brand) -> str:
    return f"/brand/logo/{brand.id}-{brand.logo_hash}.{brand.logo_extension}"


def css_path(brand: Brand) -> str:
    return f"/brand/{brand.id}-{brand.css_hash}.css"


def logo_url_absolute(brand: Brand) -> str:
    """The logo's address for an email: the configured base URL, never a request's host."""
    return current_app.config["PORTAL"].base_url.rstrip("/") + logo_path(brand)


bp.add_app_template_global(page_brand, "page_brand")
bp.add_app_template_global(logo_path, "brand_logo_path")
bp.add_app_template_global(css_path, "brand_css_path")
bp.add_app_template_global(logo_url_absolute, "brand_logo_url")


# ---------------------------------------------------------------- public files

def _cached_year(response: Response) -> Response:
    response.headers["Cache-Control"] = "public, max-age=31536000, immutable"
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


def _moved(url: str) -> Response:
    """An old fingerprint: to the current file (an old email still shows a logo)."""
    response = redirect(url, 302)
    response.headers["Cache-Control"] = "no-cache"
    return response


@files_bp.get("/<int:brand_id>-<digest>.css")
@limiter.exempt
def stylesheet(brand_id: int, digest: str) -> Response:
    """The brand's colours as CSS custom properties."""
    brand = db.session.get(Brand, brand_id)
    if brand is None:
        abort(404)
    if digest != brand.css_hash:
        return _moved(css_path(brand))
    response = Response(services.brand_css(brand), mimetype="text/css")
    return _cached_year(response)


@files_bp.get("/logo/<int:brand_id>-<digest>.<ext>")
@limiter.exempt
def logo(brand_id: int, digest: str, ext: str) -> Response:
    """The brand's logo as we stored it (re-encoded or sanitised at upload)."""
    brand = db.session.get(Brand, brand_id)
    if brand is None or not brand.has_logo:
        abort(404)
    if digest != brand.logo_hash or ext != brand.logo_extension:
        return _moved(logo_path(brand))
    response = Response(brand.logo, mimetype=brand.logo_type)
    if brand.is_svg:
        # Opened on its own, an SVG is a document: nothing in it may load or run.
        response.headers["Content-Security-Policy"] = (
            "default-src 'none'; style-src 'unsafe-inline'; sandbox")
    return _cached_year(response)


# ---------------------------------------------------------------- staff pages

def _page(form: BrandForm, brand: Brand | None, status: int = 200) -> Any:
    return render_template("staff/brand_form.html", form=form, brand=brand), status


def _input(form: BrandForm, brand: Brand | None) -> services.BrandInput:
    """The form's values; a new logo made safe (DomainError on a bad file)."""
    upload = form.logo.data
    logo = None
    if upload is not None and getattr(upload, "filename", ""):
        logo = clean_logo(upload.read(), upload.filename or "")
    return services.BrandInput(
        name=form.name.data or "", accent=form.accent.data or "",
        sign_off_sv=form.sign_off_sv.data or "", sign_off_en=form.sign_off_en.data or "",
        contact_name=form.contact_name.data or "", contact_email=form.contact_email.data or "",
        contact_phone=form.contact_phone.data or "", logo=logo,
        remove_logo=bool(form.remove_logo.data), make_default=bool(form.make_default.data))


def _save(form: BrandForm, brand: Brand | None) -> Any:
    if not form.validate_on_submit():
        return _page(form, brand, 422)
    try:
        data = _input(form, brand)
        if brand is None:
            brand = services.create_brand(db.session, current_user, data)
        else:
            brand = services.update_brand(db.session, current_user, brand.id, data)
    except DomainError as exc:
        db.session.rollback()
        field = getattr(form, exc.field or "name")
        field.errors = [str(exc.message)]
        return _page(form, db.session.get(Brand, brand.id) if brand else None, 422)
    db.session.commit()
    flash(_("The brand %(name)s is saved.", name=brand.name), "success")
    return redirect(url_for(".index"), 303)


@bp.get("/")
def index() -> Any:
    """Every brand; the default first."""
    return render_template("staff/brands.html", brands=services.all_brands(db.session))


@bp.route("/new", methods=["GET", "POST"])
def create() -> Any:
    """A new brand."""
    if request.method == "GET":
        return _page(BrandForm(formdata=None), None)
    return _save(BrandForm(), None)


@bp.route("/<int:brand_id>", methods=["GET", "POST"])
def edit(brand_id: int) -> Any:
    """Change a brand."""
    brand = services.get_brand(db.session, brand_id)
    if request.method == "GET":
        form = BrandForm(formdata=None, obj=brand)
        form.make_default.data = brand.is_default
        return _page(form, brand)
    return _save(BrandForm(), brand)


@bp.post("/<int:brand_id>/default")
def make_default(brand_id: int) -> Any:
    """Make this brand the organisation's default."""
    brand = services.set_default(db.session, current_user, brand_id)
    db.session.commit()
    flash(_("%(name)s is now the default brand.", name=brand.name), "success")
    return redirect(url_for(".index"), 303)
