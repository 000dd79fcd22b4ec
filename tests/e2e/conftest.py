"""End-to-end fixtures: the real app on a free port at http://localhost (WebAuthn needs a domain,
not an IP), a temporary instance directory, Debian's chromium driven by Playwright, and a
virtual authenticator through the DevTools protocol (../shared/FACTS.md has the recipe)."""
from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PWA = ROOT / "pwa"
ARTIFACTS = ROOT / "test-artifacts" / "e2e"
CHROMIUM = os.environ.get("SSK_CHROMIUM", "/usr/bin/chromium")
# Chromium must not try the closed network (FACTS.md).
CHROMIUM_ARGS = ["--disable-background-networking", "--disable-component-update", "--disable-sync",
                 "--no-first-run", "--disable-default-apps"]
PHONE_WIDTH = (360, 780)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _flask(instance: Path, *args: str, port: int | None = None, check=True, capture=True):
    return subprocess.run([sys.executable, "-m", "flask", "--app", "wsgi", *args], cwd=ROOT,
                          env=_env(instance, port), check=check, capture_output=capture, text=True,
                          timeout=120)


def _env(instance: Path, port: int | None) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SSK_", "FLASK_"))}
    env.update(SSK_INSTANCE_PATH=str(instance), SSK_RP_ID="localhost", SSK_DEMO_DATA="0",
               SSK_PWA_DIST=str(PWA / "dist"))
    if port:
        env["SSK_ORIGINS"] = f"http://localhost:{port}"
    env.pop("DATABASE_URL", None)
    env.pop("MONGO_URL", None)
    return env


def _ensure_pwa_built() -> None:
    """The app serves pwa/dist; build it when it is missing (npm ci is the caller's job)."""
    if (PWA / "dist" / "index.html").exists() and not os.environ.get("SSK_E2E_REBUILD"):
        return
    if not (PWA / "node_modules").exists():
        subprocess.run(["npm", "ci"], cwd=PWA, check=True)
    subprocess.run(["npm", "run", "build"], cwd=PWA, check=True)


@dataclass
class Server:
    url: str
    port: int
    instance: Path

    def flask(self, *args: str) -> str:
        """Run a `flask --app wsgi` command against this server's instance (e.g. staff add)."""
        return _flask(self.instance, *args, port=self.port).stdout

    def last_code(self, phone_e164: str, *, after: int = 0, timeout: float = 10) -> str:
        """The newest one-time code texted to `phone_e164` (embedded mode writes outbox-sms.log)."""
        log = self.instance / "outbox-sms.log"
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if log.exists():
                lines = [ln for ln in log.read_text(encoding="utf-8").splitlines()[after:] if phone_e164 in ln]
                # a line is "time<TAB>phone<TAB>text"; the code is in the text
                if lines and (m := re.search(r"\b(\d{6})\b", lines[-1].split("\t")[-1])):
                    return m.group(1)
            time.sleep(0.1)
        raise AssertionError(f"no code for {phone_e164} in {log}")

    def sms_count(self) -> int:
        log = self.instance / "outbox-sms.log"
        return len(log.read_text(encoding="utf-8").splitlines()) if log.exists() else 0


@pytest.fixture(scope="session")
def server(tmp_path_factory) -> Server:
    """The app under `flask run` on a free port, with its own empty instance directory: shared by
    the e2e files of one worker, so each makes its own units and people (codes of its own)."""
    yield from serve(tmp_path_factory.mktemp("instance"))


def serve(instance: Path, *setup: list[str]):
    """Migrate `instance`'s database, run each `flask` command of `setup` (e.g. ["demo", "seed"]),
    run the app on a free port, yield its Server, stop it. A test file whose data would change what
    others count (the demo units, many people) runs on one of these of its own."""
    _ensure_pwa_built()
    _flask(instance, "db", "upgrade")  # the real migrations, as `make run` does
    for command in setup:
        _flask(instance, *command)
    port = _free_port()
    log = open(instance / "server.log", "w")
    proc = subprocess.Popen([sys.executable, "-m", "flask", "--app", "wsgi", "run", "--port", str(port)],
                            cwd=ROOT, env=_env(instance, port), stdout=log, stderr=subprocess.STDOUT)
    url = f"http://localhost:{port}"
    deadline = time.monotonic() + 30
    while True:
        try:
            urllib.request.urlopen(f"{url}/api/v1/auth/me", timeout=2)
        except urllib.error.HTTPError:
            break  # 401: it answers
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            if proc.poll() is not None or time.monotonic() > deadline:
                log.close()
                raise RuntimeError(f"server did not start:\n{(instance / 'server.log').read_text()}")
            time.sleep(0.2)
        else:
            break
    yield Server(url=url, port=port, instance=instance)
    proc.terminate()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
    log.close()


@pytest.fixture(scope="session")
def camera_file(tmp_path_factory) -> Path:
    """What the fake camera films: write a Y4M here (write_y4m) before the page opens the camera."""
    return tmp_path_factory.mktemp("camera") / "camera.y4m"


@pytest.fixture(scope="session")
def browser(camera_file):
    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).exists():
        if os.environ.get("CI"):
            raise RuntimeError(f"no chromium at {CHROMIUM}: .ci/run should have installed it")
        pytest.skip(f"no chromium at {CHROMIUM}")
    write_y4m(camera_file, None)
    # getUserMedia gets a looped video of camera_file, without a permission prompt (FACTS.md)
    camera = ["--use-fake-ui-for-media-stream", "--use-fake-device-for-media-stream",
              f"--use-file-for-fake-video-capture={camera_file}"]
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS + camera)
        yield b
        b.close()


def write_y4m(path: Path, png: bytes | None, size=(640, 480)) -> None:
    """One-frame planar 4:2:0 Y4M (the format chromium's fake camera reads; MJPEG came out
    green): the PNG centred on white, or a blank white frame."""
    import io

    from PIL import Image

    frame = Image.new("RGB", size, "white")
    if png:
        img = Image.open(io.BytesIO(png)).convert("RGB")
        img.thumbnail((size[1] - 40, size[1] - 40))
        frame.paste(img, ((size[0] - img.width) // 2, (size[1] - img.height) // 2))
    y, cb, cr = frame.convert("YCbCr").split()
    half = (size[0] // 2, size[1] // 2)
    with open(path, "wb") as f:
        f.write(f"YUV4MPEG2 W{size[0]} H{size[1]} F30:1 Ip A1:1 C420jpeg\n".encode())
        f.write(b"FRAME\n" + y.tobytes() + cb.resize(half).tobytes() + cr.resize(half).tobytes())


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item, call):
    rep = yield
    setattr(item, f"rep_{rep.when}", rep)
    return rep


@pytest.fixture
def new_context(browser, server, request):
    """Phone-sized browser contexts; each is closed after the test (photographed if it failed)."""
    made = []
    console = []

    def make(**kwargs):
        kwargs.setdefault("locale", "vi-VN")  # a Vietnamese phone: dd/mm/yyyy date fields
        kwargs.setdefault("timezone_id", "Asia/Ho_Chi_Minh")
        ctx = browser.new_context(viewport={"width": PHONE_WIDTH[0], "height": PHONE_WIDTH[1]},
                                  device_scale_factor=2, base_url=server.url, **kwargs)
        ctx.set_default_timeout(15_000)
        ctx.on("page", lambda page: page.on("console", lambda m: console.append(f"{m.type}: {m.text}")))
        made.append(ctx)
        return ctx

    yield make
    failed = getattr(request.node, "rep_call", None) is not None and request.node.rep_call.failed
    for i, ctx in enumerate(made):
        if failed:
            ARTIFACTS.mkdir(parents=True, exist_ok=True)
            for j, page in enumerate(ctx.pages):
                page.screenshot(path=str(ARTIFACTS / f"FAILED-{request.node.name[:40]}-{i}-{j}.png"), full_page=True)
        ctx.close()
    if failed and console:
        print("browser console:\n" + "\n".join(console[-40:]))


def add_virtual_authenticator(page) -> str:
    """A platform authenticator that says yes at once (CDP WebAuthn domain); returns its id."""
    cdp = page.context.new_cdp_session(page)
    cdp.send("WebAuthn.enable")
    res = cdp.send("WebAuthn.addVirtualAuthenticator", {"options": {
        "protocol": "ctap2", "transport": "internal", "hasResidentKey": True,
        "hasUserVerification": True, "isUserVerified": True, "automaticPresenceSimulation": True}})
    page._ssk_cdp = cdp  # keep the session (and so the authenticator) alive with the page
    return res["authenticatorId"]


@pytest.fixture
def shots():
    """Screenshots into test-artifacts/e2e/<name>-<lang>.png (gitignored); both languages."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)

    def shoot(page, name: str, *, both: bool = True, full_page: bool = True):
        page.wait_for_timeout(150)  # let focus rings and live regions settle
        if full_page:
            # A fixed bottom bar would be drawn mid-page in a full-page capture: put it at the end.
            page.add_style_tag(content=".tabs { position: static !important; }")
        lang = page.evaluate("document.documentElement.lang")
        page.screenshot(path=str(ARTIFACTS / f"{name}-{lang}.png"), full_page=full_page)
        if both:
            other = "en" if lang == "vi" else "vi"
            page.locator("header button.lang").click()
            page.wait_for_function(f"document.documentElement.lang === '{other}'")
            page.wait_for_timeout(150)
            page.screenshot(path=str(ARTIFACTS / f"{name}-{other}.png"), full_page=full_page)
            page.locator("header button.lang").click()
            page.wait_for_function(f"document.documentElement.lang === '{lang}'")

    return shoot
