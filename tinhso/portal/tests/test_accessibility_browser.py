"""Every citizen-facing page in a real browser (Debian's Chromium through Playwright), in the states a citizen
meets it in: axe-core finds no serious or critical violation at 1280 and at 360 px, nothing scrolls
sideways on a 360 px phone, and a first load (the HTML and the CSS and JavaScript it loads, as the browser
received them) stays under 200 KB (the heaviest, a procedure's page, is about 100 KB).

Each page is opened in a fresh browser context (no cache: a first load), logged in as the person who would
see it. Pages reached by a form (a look-up's result, a sign-up's code page, an e-form with its errors) are
reached by filling the form in the browser. The rating, feedback and kiosk pages have their own test,
skipped while their URLs are not registered.

axe-core is evaluated in the page rather than added as a script tag: the Content-Security-Policy admits no
inline script.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings as django_settings
from django.test import Client
from django.urls import NoReverseMatch, reverse
from django.utils import timezone

from tinhso.accounts.models import User
from tinhso.accounts.tests import factories as people
from tinhso.dossiers import transitions as tr
from tinhso.dossiers.models import Dossier, Status
from tinhso.dossiers.tests.factories import World, bind, world
from tinhso.edocs import services as edocs
from tinhso.edocs.models import EDocument
from tinhso.portal.tests.helpers import form_url, jpeg_upload, paper, post_eform

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

AXE = Path(__file__).resolve().parents[2] / "accounts" / "tests" / "vendor" / "axe.min.js"  # axe-core 4.14.1
WIDTHS = (1280, 360)
PHONE_WIDTH = 360
FIRST_LOAD_BUDGET = 200 * 1024
COUNTED = {"document", "stylesheet", "script"}

PHONE = "0912345678"
NATIONAL_ID = "008190012345"
NEWCOMER_PHONE = "0987654321"

Action = Callable[[Any], None]


@dataclass(frozen=True)
class Visit:
    """A page as a person reaches it: open `path` as `who`, then (optionally) do `then` on it."""

    name: str
    path: str
    who: str = "anonymous"  # or "citizen", "kiosk"
    status: int = 200
    then: Action | None = None


@dataclass
class Scene:
    w: World
    citizen: User
    submitted: Dossier  # waiting for reception: the page offers to add files
    supplement: Dossier  # a supplement asked for: the checklist with its upload forms
    returned: Dossier  # the result returned online: in the citizen's store
    result: EDocument
    share_token: str
    expired_token: str


# --- The scene: real dossiers through the real e-form and transitions ---------------------------------------


def submitted_online(client: Client, w: World, citizen: User) -> Dossier:
    """A birth registration sent through the e-form, as the browser would post it."""
    certificate = paper(w.birth, "Giấy chứng sinh")
    response = post_eform(
        client, w.birth, files={f"paper-{certificate.pk}": jpeg_upload()}, phone=citizen.phone or ""
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    return Dossier.objects.get(code=response["Location"].split("/")[2], applicant_user=citizen)


def build_scene() -> Scene:
    w = world()
    bind(w.birth.procedure, w.other_ward)  # two wards receive it: the "choose where" page has a list
    citizen = people.citizen(
        full_name="Nguyễn Thị Hằng", phone=PHONE, national_id=NATIONAL_ID, email="hang@example.vn"
    )
    client = Client()
    client.force_login(citizen)

    submitted = submitted_online(client, w, citizen)

    supplement = submitted_online(client, w, citizen)
    tr.receive(supplement, actor=w.counter)
    tr.request_supplement(
        supplement, actor=w.counter, items=[tr.MissingItem("Giấy chứng sinh", "Ảnh chụp bị mờ, chụp lại")]
    )

    returned = submitted_online(client, w, citizen)
    tr.receive(returned, actor=w.counter)
    tr.hand_over(returned, actor=w.counter, to=w.specialist)
    tr.hand_over(returned, actor=w.specialist, to=w.leader)
    tr.approve(returned, actor=w.leader, result_note="Đã đăng ký khai sinh")
    tr.return_result(returned, actor=w.counter, method="online")
    result = EDocument.objects.get(owner=citizen, source_dossier_code=returned.code)

    _link, share_token = edocs.share_link_create(document=result, actor=citizen, days=7)
    _old, expired_token = edocs.share_link_create(
        document=result, actor=citizen, days=1, now=timezone.now() - timedelta(days=10)
    )
    for d in (submitted, supplement, returned):
        d.refresh_from_db()
    assert (submitted.status, supplement.status, returned.status) == (
        Status.SUBMITTED,
        Status.SUPPLEMENT,
        Status.RETURNED,
    )
    return Scene(w, citizen, submitted, supplement, returned, result, share_token, expired_token)


# --- What a person does on a page before it is checked ------------------------------------------------------


def submit(page: Any, button: Any) -> None:
    """Press a form's button and wait for the page it leads to."""
    with page.expect_navigation():
        button.click()
    page.wait_for_load_state()


def signup_details(page: Any) -> None:
    page.fill("#id_full_name", "Trần Văn Bình")
    page.fill("#id_phone", NEWCOMER_PHONE)
    page.fill("#id_national_id", "008090054321")
    page.fill("#id_date_of_birth", "02/01/1990")
    page.fill("#id_password1", "hoa-sen-no-2026")
    page.fill("#id_password2", "hoa-sen-no-2026")
    submit(page, page.get_by_test_id("signup-form").locator("button[type=submit]"))
    assert page.url.endswith("/accounts/signup/verify/"), page.url


def press_the_forms_button(testid: str) -> Action:
    def act(page: Any) -> None:
        submit(page, page.get_by_test_id(testid).locator("button[type=submit]").first)

    return act


def wrong_password(page: Any) -> None:
    page.fill("#id_username", PHONE)
    page.fill("#id_password", "sai-mat-khau")
    submit(page, page.locator("main form button[type=submit]").last)


def reset_for(page: Any) -> None:
    page.fill("#id_identifier", PHONE)
    submit(page, page.get_by_test_id("reset-form").locator("button[type=submit]"))
    assert page.url.endswith("/accounts/password/reset/verify/"), page.url


def look_up(code: str, secret: str) -> Action:
    def act(page: Any) -> None:
        page.fill("#id_code", code)
        page.fill("#id_secret", secret)
        submit(page, page.get_by_test_id("track-form").locator("button[type=submit]"))

    return act


def make_a_share_link(page: Any) -> None:
    submit(page, page.get_by_test_id("share-create"))
    assert page.locator("#id_new_link").is_visible()


def portal_visits(s: Scene) -> list[Visit]:
    birth = s.w.birth.procedure.code
    return [
        Visit("home", "/"),
        Visit("catalog", "/procedures/"),
        Visit("catalog-search", "/procedures/?q=khai+sinh"),
        Visit("procedure", f"/procedures/{birth}/"),
        Visit("communes", "/communes/"),
        Visit("agencies", "/agencies/"),
        Visit("agency", f"/agencies/{s.w.ward.code}/"),
        Visit("login", "/accounts/login/"),
        Visit("login-wrong-password", "/accounts/login/", then=wrong_password),
        Visit("signup", "/accounts/signup/"),
        Visit("signup-errors", "/accounts/signup/", then=press_the_forms_button("signup-form")),
        Visit("signup-code", "/accounts/signup/", then=signup_details),
        Visit("password-reset", "/accounts/password/reset/"),
        Visit("password-reset-code", "/accounts/password/reset/", then=reset_for),
        Visit("submit-choose", f"/nop-ho-so/{birth}/"),
        Visit("eform", form_url(s.w.birth), who="citizen"),
        Visit(
            "eform-errors",
            form_url(s.w.birth),
            who="citizen",
            status=400,
            then=press_the_forms_button("eform"),
        ),
        Visit("submitted", f"/ho-so-cua-toi/{s.submitted.code}/da-nop/", who="citizen"),
        Visit("my-dossiers", "/ho-so-cua-toi/", who="citizen"),
        Visit("my-dossier-submitted", f"/ho-so-cua-toi/{s.submitted.code}/", who="citizen"),
        Visit("my-dossier-supplement", f"/ho-so-cua-toi/{s.supplement.code}/", who="citizen"),
        Visit("my-dossier-returned", f"/ho-so-cua-toi/{s.returned.code}/", who="citizen"),
        Visit("lookup", "/tra-cuu-ho-so/"),
        Visit("lookup-result", "/tra-cuu-ho-so/", then=look_up(s.supplement.code, PHONE)),
        Visit("lookup-not-found", "/tra-cuu-ho-so/", then=look_up(s.returned.code, "0900000000")),
        Visit("edocs", "/giay-to/", who="citizen"),
        Visit("edoc", f"/giay-to/{s.result.pk}/", who="citizen"),
        Visit("edoc-new-share-link", f"/giay-to/{s.result.pk}/", who="citizen", then=make_a_share_link),
        Visit("edoc-upload", "/giay-to/tai-len/", who="citizen"),
        Visit("share", f"/chia-se/{s.share_token}/"),
        Visit("share-expired", f"/chia-se/{s.expired_token}/", status=410),
        Visit("not-found", "/khong-co-trang-nay/", status=404),
        Visit("forbidden", "/backoffice/", who="citizen", status=403),
    ]


# --- The checks ---------------------------------------------------------------------------------------------


@dataclass
class Findings:
    """Everything wrong, by page, to fail with one readable list."""

    axe: dict[str, list[str]]
    overflow: dict[str, int]
    weight: dict[str, int]
    status: dict[str, str]

    @classmethod
    def empty(cls) -> Findings:
        return cls({}, {}, {}, {})

    def report(self) -> str:
        lines = []
        for page, problems in self.axe.items():
            lines.append(f"{page}:")
            lines.extend(f"  {p}" for p in problems)
        lines.extend(
            f"{page}: {px} px wider than the {PHONE_WIDTH} px screen" for page, px in self.overflow.items()
        )
        lines.extend(
            f"{page}: first load {size / 1024:.1f} KB > {FIRST_LOAD_BUDGET // 1024} KB"
            for page, size in self.weight.items()
        )
        lines.extend(f"{page}: {problem}" for page, problem in self.status.items())
        return "\n".join(lines)

    def __bool__(self) -> bool:
        return bool(self.axe or self.overflow or self.weight or self.status)


AXE_RUN = """async () => {
    const result = await axe.run(document, {resultTypes: ['violations']});
    return result.violations
        .filter(v => v.impact === 'serious' || v.impact === 'critical')
        .map(v => ({
            id: v.id, impact: v.impact, help: v.help,
            nodes: v.nodes.map(n => ({
                target: n.target.join(' '), html: n.html.slice(0, 160),
                summary: (n.failureSummary || '').replace(/\\s+/g, ' ').slice(0, 240),
            })),
        }));
}"""


def axe_violations(page: Any) -> list[str]:
    page.evaluate(AXE.read_text(encoding="utf-8"))
    found = page.evaluate(AXE_RUN)
    return [
        f"{v['impact']} {v['id']} ({v['help']}): {n['target']} — {n['html']} — {n['summary']}"
        for v in found
        for n in v["nodes"]
    ]


class Browsing:
    """Fresh browser contexts (a first load each: nothing cached), logged in as whoever a visit needs."""

    def __init__(self, browser: Any, site: str, sessions: dict[str, str]) -> None:
        self.browser = browser
        self.site = site
        self.sessions = sessions

    @contextmanager
    def page(self, who: str, width: int) -> Iterator[Any]:
        context = self.browser.new_context(
            viewport={"width": width, "height": 800}, locale="vi-VN", java_script_enabled=True
        )
        context.set_default_timeout(10_000)
        if who != "anonymous":
            cookie = {
                "name": django_settings.SESSION_COOKIE_NAME,
                "value": self.sessions[who],
                "url": self.site,
            }
            context.add_cookies([cookie])
        try:
            yield context.new_page()
        finally:
            context.close()


def session_of(user: User) -> str:
    client = Client()
    client.force_login(user)
    return str(client.cookies[django_settings.SESSION_COOKIE_NAME].value)


class Loads:
    """The responses of the page's current document: its HTML and the CSS and JavaScript it loaded."""

    def __init__(self, page: Any) -> None:
        self.page = page
        self.responses: list[Any] = []
        page.on("response", self._seen)

    def _seen(self, response: Any) -> None:
        kind = response.request.resource_type
        if kind == "document" and response.frame == self.page.main_frame:
            self.responses.clear()  # a new document: what came before was another page
        if kind in COUNTED:
            self.responses.append(response)

    @property
    def status(self) -> int:
        documents = [r for r in self.responses if r.request.resource_type == "document"]
        return int(documents[-1].status) if documents else 0

    def size(self) -> int:
        """Bytes of the bodies as received (the dev server does not compress them)."""
        return sum(len(r.body()) for r in self.responses if r.status == 200)


def overflow(page: Any) -> int:
    """How many pixels the page is wider than a 360 px phone's screen."""
    return int(page.evaluate("document.documentElement.scrollWidth")) - PHONE_WIDTH


def check(browsing: Browsing, visits: list[Visit], findings: Findings, screenshot: Any) -> list[str]:
    """Open every visit at each width; collect what is wrong into `findings` and save each page at 360 px
    (test-artifacts/screenshots/a11y-<name>-360.png). Returns the pages checked."""
    checked = []
    # Each page at both widths before the next: a visit that changes something (a rating sent) comes after
    # the visits that need it unchanged.
    for visit in visits:
        for width in WIDTHS:
            label = f"{visit.name} at {width} px"
            with browsing.page(visit.who, width) as page:
                loads = Loads(page)
                page.goto(browsing.site + visit.path)
                page.wait_for_load_state()
                if visit.then is not None:
                    visit.then(page)
                if loads.status != visit.status:
                    findings.status[label] = f"status {loads.status}, expected {visit.status} ({page.url})"
                    continue
                # A first load: the page opened in an empty context (a page reached through a form may take
                # the style sheet from the cache).
                if width == WIDTHS[0] and visit.then is None and loads.size() >= FIRST_LOAD_BUDGET:
                    findings.weight[visit.name] = loads.size()
                if width == PHONE_WIDTH:
                    if overflow(page) > 0:
                        findings.overflow[label] = overflow(page)
                    screenshot(page, f"a11y-{visit.name}-360", full_page=True)
                problems = axe_violations(page)
                if problems:
                    findings.axe[label] = problems
                checked.append(label)
    return checked


@pytest.fixture
def rate_limits_for_two_widths(settings: Any) -> None:
    # Every page is opened twice (two widths) from one address; the limits themselves have their own tests.
    settings.ACCOUNT_OTP_SENDS_PER_PHONE = 50
    settings.ACCOUNT_OTP_SENDS_PER_IP = 100
    settings.PORTAL_LOOKUP_PER_IP = (100, 600)
    settings.PORTAL_LOOKUP_FAILURES_PER_CODE = (100, 1800)
    settings.FEEDBACK_ANONYMOUS_PER_IP = (100, 3600)


def test_every_citizen_page_passes_axe_at_1280_and_360_px_fits_a_phone_and_loads_under_200_kb(
    site: str, browser: Any, rate_limits_for_two_widths: None, screenshot: Any
) -> None:
    s = build_scene()
    browsing = Browsing(browser, site, {"citizen": session_of(s.citizen)})
    visits = portal_visits(s)
    findings = Findings.empty()
    checked = check(browsing, visits, findings, screenshot)
    assert not findings, "\n" + findings.report()
    assert len(checked) == 2 * len(visits)


def test_the_checks_count_a_first_load_and_catch_sideways_scrolling_and_an_unlabelled_field(
    site: str, browser: Any
) -> None:
    """The checks above can fail: they count every byte of a first load, and a page made too wide and
    given an unlabelled input is reported."""
    static = Path(__file__).resolve().parents[2] / "static"
    browsing = Browsing(browser, site, {})
    with browsing.page("anonymous", 1280) as page:
        loads = Loads(page)
        page.goto(site + "/")
        page.wait_for_load_state()
        assert sorted(r.request.resource_type for r in loads.responses) == [
            "document",
            "script",
            "stylesheet",
        ]
        html = len(loads.responses[0].body())
        css = (static / "css" / "site.css").stat().st_size
        js = (static / "vendor" / "htmx.min.js").stat().st_size
        assert loads.status == 200 and loads.size() == html + css + js > 40 * 1024
    with browsing.page("anonymous", PHONE_WIDTH) as page:
        page.goto(site + "/accounts/login/")
        assert overflow(page) <= 0
        page.locator("label[for=id_password]").evaluate("el => el.remove()")
        page.locator("main").evaluate("el => { el.style.minWidth = '500px'; }")
        assert overflow(page) == 500 - PHONE_WIDTH
        problems = axe_violations(page)
    assert any(p.startswith("critical label ") and "#id_password" in p for p in problems), problems


# --- Rating, feedback and the counter's kiosk (another engineer's pages) ------------------------------------


def rating_pages_registered() -> bool:
    try:
        reverse("rating:rate", args=["x"])
        reverse("rating:kiosk")
    except NoReverseMatch:
        return False
    return True


def send_dossier_feedback(page: Any) -> None:
    form = page.get_by_test_id("feedback-form")
    form.locator("input[name=kind]").first.check()
    form.locator("input[name=title]").fill("Phải đi lại nhiều lần")
    form.locator("textarea[name=content]").fill("Tôi phải chụp lại giấy chứng sinh hai lần.")
    submit(page, form.get_by_test_id("send-feedback"))
    assert re.search(r"/phan-anh-kien-nghi/cua-toi/\d+/$", page.url), page.url


def send_procedure_feedback_anonymously(page: Any) -> None:
    form = page.get_by_test_id("feedback-form")
    form.locator("input[name=kind]").first.check()
    form.locator("input[name=title]").fill("Hướng dẫn chưa rõ")
    form.locator("textarea[name=content]").fill("Trang thủ tục chưa nói rõ giấy tờ nào bắt buộc.")
    form.locator("input[name=contact_phone]").fill("0977123456")
    agency = form.locator("select[name=agency]")
    if agency.count():  # two wards receive the procedure: say which one should answer
        agency.select_option(label="Ủy ban nhân dân phường Hà Giang 2")
    submit(page, form.get_by_test_id("send-feedback"))
    assert page.url.endswith("/phan-anh-kien-nghi/da-gui/"), page.url


def scan_at_the_kiosk(code: str) -> Action:
    def act(page: Any) -> None:
        page.fill("#ma", code)
        submit(page, page.get_by_test_id("kiosk-scan").locator("button[type=submit]"))

    return act


def rate_it(page: Any) -> None:
    """Answer every question and send (the first time; afterwards the page already shows the rating)."""
    form = page.get_by_test_id("rating-form")
    if form.count():
        for name, value in (
            ("overall", "satisfied"),
            ("time", "2"),
            ("contacts", "2"),
            ("agencies", "2"),
            ("attitude", "2"),
        ):
            form.locator(f"input[name={name}][value='{value}']").check()
        submit(page, form.get_by_test_id("send-rating"))
    assert page.get_by_test_id("rated").is_visible()


needs_rating_pages = pytest.mark.skipif(
    not rating_pages_registered(),
    reason="the rating, feedback and kiosk pages (tinhso/portal/rating_urls.py) are not registered yet",
)


@needs_rating_pages
def test_the_rating_and_feedback_pages_pass_axe_fit_a_phone_and_load_under_200_kb(
    site: str, browser: Any, rate_limits_for_two_widths: None, screenshot: Any
) -> None:
    s = build_scene()
    browsing = Browsing(browser, site, {"citizen": session_of(s.citizen)})
    birth = s.w.birth.procedure.code
    rate = f"/ho-so-cua-toi/{s.returned.code}/danh-gia/"
    feedback = f"/ho-so-cua-toi/{s.returned.code}/phan-anh/"
    about_birth = f"/phan-anh-kien-nghi/?thu-tuc={birth}"
    visits = [
        Visit("rate", rate, who="citizen"),
        Visit("rate-errors", rate, who="citizen", status=400, then=press_the_forms_button("rating-form")),
        Visit("rated", rate, who="citizen", then=rate_it),
        Visit("rate-not-yet", f"/ho-so-cua-toi/{s.supplement.code}/danh-gia/", who="citizen"),
        Visit("feedback-dossier", feedback, who="citizen"),
        Visit("feedback-detail", feedback, who="citizen", then=send_dossier_feedback),
        Visit("my-feedback", "/phan-anh-kien-nghi/cua-toi/", who="citizen"),
        Visit("feedback-choose", "/phan-anh-kien-nghi/"),
        Visit("feedback-procedure", about_birth),
        Visit(
            "feedback-procedure-errors", about_birth, status=400, then=press_the_forms_button("feedback-form")
        ),
        Visit("feedback-sent", about_birth, then=send_procedure_feedback_anonymously),
    ]
    findings = Findings.empty()
    checked = check(browsing, visits, findings, screenshot)
    assert not findings, "\n" + findings.report()
    assert len(checked) == 2 * len(visits)


@needs_rating_pages
def test_the_counters_kiosk_pages_pass_axe_fit_a_phone_and_load_under_200_kb(
    site: str, browser: Any, settings: Any, rate_limits_for_two_widths: None, screenshot: Any
) -> None:
    settings.TINHSO_REQUIRE_OFFICIAL_2FA = False  # the counter officer opens the kiosk screen
    s = build_scene()
    browsing = Browsing(browser, site, {"kiosk": session_of(s.w.counter)})
    visits = [
        Visit("kiosk-scan", "/kiosk/danh-gia/", who="kiosk"),
        Visit("kiosk-rate", "/kiosk/danh-gia/", who="kiosk", then=scan_at_the_kiosk(s.returned.code)),
        Visit("kiosk-thanks", "/kiosk/danh-gia/cam-on/", who="kiosk"),
    ]
    findings = Findings.empty()
    checked = check(browsing, visits, findings, screenshot)
    assert not findings, "\n" + findings.report()
    assert len(checked) == 2 * len(visits)
