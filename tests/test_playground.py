"""The optimizer playground (docs/playground.md, docs/javascripts/playground.js).

Its paths are computed in the browser by JavaScript written to repeat the
package's update rules. These tests set the page's controls the way a reader
does, read back the path the page computed (the ``data-paths`` attribute of the
playground, JSON) and compare it with ``zerodl``'s optimizers run in Python on
the same function from the same start: 1e-9 relative at every step. They also
check what a reader meets: divergence drawn with a 「発散」 marker and no frozen
page, mouse, touch and keyboard, labelled controls, the dark scheme, the reset
to the book's figure 6-8, and that the playground is small and loaded only
where it is used.

The generic browser tests (tests/test_browser.py: console errors, requests to
other hosts, page weight, a phone-sized layout) cover the page through the nav.
"""

from __future__ import annotations

import json
import time

import numpy as np
import pytest

from test_browser import browser, close_page, desktop, open_page, phone, screenshot_on_failure, server  # noqa: F401 (fixtures)
from zerodl.landscape import optimizer_path
from zerodl.optimizers import SGD, AdaGrad, Adam, AdamW, Momentum, Nesterov, RMSprop

pytestmark = [pytest.mark.browser, pytest.mark.build]

PAGE = "playground.md"
EMBED = "07-optimizer-comparison.md"
RTOL = 1e-9
ATOL = 1e-12  # for coordinates that pass through 0 (a relative error means nothing there)


# --- the reference: zerodl's optimizers in Python -------------------------------------


# The hyperparameters other than the learning rate: the package's defaults.
DEFAULT_HYPER = {"momentum": 0.9, "decay_rate": 0.99, "beta1": 0.9, "beta2": 0.999, "weight_decay": 0.01}


def make_optimizer(name: str, lr: float, hyper: dict):
    """The package's optimizer with the playground's hyperparameters."""
    h = {**DEFAULT_HYPER, **hyper}
    return {
        "SGD": lambda: SGD(lr=lr),
        "Momentum": lambda: Momentum(lr=lr, momentum=h["momentum"]),
        "Nesterov": lambda: Nesterov(lr=lr, momentum=h["momentum"]),
        "AdaGrad": lambda: AdaGrad(lr=lr),
        "RMSprop": lambda: RMSprop(lr=lr, decay_rate=h["decay_rate"]),
        "Adam": lambda: Adam(lr=lr, beta1=h["beta1"], beta2=h["beta2"]),
        "AdamW": lambda: AdamW(lr=lr, beta1=h["beta1"], beta2=h["beta2"], weight_decay=h["weight_decay"]),
    }[name]()


# The gradients, written out from the formulas on the page (the book's function is zerodl's own).
GRADIENTS = {
    "quad": lambda x, y, k: (x / 10, k * y / 10),
    "rosenbrock": lambda x, y, k: (-2 * (1 - x) - 400 * x * (y - x * x), 200 * (y - x * x)),
    "saddle": lambda x, y, k: (x, y * y * y - y),
}


def python_path(fn: str, name: str, lr: float, steps: int, start, kappa: float = 20.0, **hyper) -> np.ndarray:
    optimizer = make_optimizer(name, lr, hyper)
    if fn == "book":
        return optimizer_path(optimizer, steps=steps, init=start)  # zerodl.landscape, as chapters 4-7 draw it
    params = {"x": np.array([float(start[0])]), "y": np.array([float(start[1])])}
    history = [(params["x"][0], params["y"][0])]
    for _ in range(steps):
        gx, gy = GRADIENTS[fn](params["x"][0], params["y"][0], kappa)
        optimizer.update(params, {"x": np.array([gx]), "y": np.array([gy])})
        history.append((params["x"][0], params["y"][0]))
    return np.array(history)


def as_array(path) -> np.ndarray:
    """A path from the page: numbers, and "Infinity", "-Infinity", "NaN" where the arithmetic overflowed."""
    return np.array([[float(v) for v in point] for point in path], dtype=float)


# --- driving the page's controls ---------------------------------------------------------


def playground(page, n: int = 0):
    return page.locator(".zerodl-playground").nth(n)


def set_controls(root, *, fn="book", kappa=None, steps=30, start=None, lr=None, on=(), **hyper) -> None:
    """Set the controls as a reader would: select, check boxes, type numbers."""
    root.locator("[data-pg=fn]").select_option(fn)
    if kappa is not None:
        root.locator("[data-pg=kappa]").fill(str(kappa))
    root.locator("[data-pg=steps]").fill(str(steps))
    if start is not None:
        root.locator("[data-pg=x0]").fill(str(start[0]))
        root.locator("[data-pg=y0]").fill(str(start[1]))
    for name in ("SGD", "Momentum", "Nesterov", "AdaGrad", "RMSprop", "Adam", "AdamW"):
        root.locator(f"[data-pg=on-{name}]").set_checked(name in on)
    for name, value in (lr or {}).items():
        root.locator(f"[data-pg=lr-{name}]").fill(str(value))
    for name, value in {**DEFAULT_HYPER, **hyper}.items():  # the page keeps what the last test set
        root.locator(f"[data-pg={name}]").fill(str(value))


def page_paths(root) -> dict[str, np.ndarray]:
    return {name: as_array(path) for name, path in json.loads(root.get_attribute("data-paths")).items()}


# (function, optimizer, lr, steps, start, extra settings): every optimizer, several
# learning rates, all four functions (each with its gradient in closed form).
CASES = [
    ("book", "SGD", 0.95, 30, (-7, 2), {}),
    ("book", "Momentum", 0.1, 30, (-7, 2), {}),
    ("book", "Nesterov", 0.1, 30, (-7, 2), {}),
    ("book", "AdaGrad", 1.5, 30, (-7, 2), {}),
    ("book", "RMSprop", 0.1, 30, (-7, 2), {}),
    ("book", "Adam", 0.3, 30, (-7, 2), {}),
    ("book", "AdamW", 0.3, 30, (-7, 2), {}),
    ("book", "Adam", 90, 100, (-7, 2), {}),  # chapter 6: far out and back again
    ("book", "SGD", 0.02, 200, (8.5, -4.5), {}),
    ("quad", "SGD", 0.15, 50, (5, -3), {"kappa": 100}),
    ("quad", "Momentum", 0.02, 60, (-9, 4), {"kappa": 300, "momentum": 0.8}),
    ("quad", "Nesterov", 0.5, 40, (-7, 2), {"kappa": 7, "momentum": 0.5}),
    ("quad", "AdaGrad", 0.7, 25, (-7, 2), {"kappa": 1000}),
    ("rosenbrock", "AdaGrad", 0.3, 200, (-1.2, 1), {}),
    ("rosenbrock", "RMSprop", 0.001, 300, (-1.2, 1), {"decay_rate": 0.9}),
    ("rosenbrock", "Adam", 0.05, 300, (-1.5, 2.5), {"beta1": 0.8, "beta2": 0.99}),
    ("saddle", "AdamW", 0.1, 80, (-1.8, 0.05), {"weight_decay": 0.1}),
    ("saddle", "Momentum", 0.05, 100, (1.5, -0.01), {"momentum": 0.95}),
    ("saddle", "RMSprop", 0.01, 150, (-1.8, 0.05), {"decay_rate": 0.5}),
]


@pytest.fixture(scope="module")
def playground_page(desktop, server):  # noqa: F811
    page, recorder, response = open_page(desktop, server.url(PAGE), own_tab=True)
    assert response is not None and response.status == 200
    page.wait_for_selector(".zerodl-playground[data-paths]")
    yield page, recorder
    recorder.assert_clean()
    close_page(page, recorder)


@pytest.mark.parametrize("case", CASES, ids=[f"{c[0]}-{c[1]}-lr{c[2]}" for c in CASES])
def test_the_controls_give_the_package_path(playground_page, case):
    """Set the controls, read the path the page drew, compare with zerodl at every step."""
    page, recorder = playground_page
    fn, name, lr, steps, start, extra = case
    root = playground(page)
    with screenshot_on_failure(page, f"playground-{fn}-{name}-{lr}"):
        kappa = extra.get("kappa")
        hyper = {k: v for k, v in extra.items() if k != "kappa"}
        set_controls(root, fn=fn, kappa=kappa, steps=steps, start=start, lr={name: lr}, on=[name], **hyper)
        drawn = page_paths(root)
        assert list(drawn) == [name]
        expected = python_path(fn, name, lr, steps, start, kappa or 20.0, **hyper)
        assert drawn[name].shape == (steps + 1, 2)
        np.testing.assert_allclose(drawn[name], expected, rtol=RTOL, atol=ATOL)
        # The same through the page's function, and the path is not a trivial one.
        api = page.evaluate(
            "(o) => window.zerodlPlayground.run(o)",
            {"fn": fn, "optimizer": name, "lr": lr, "steps": steps, "start": list(start), "kappa": kappa or 20, **hyper},
        )
        np.testing.assert_allclose(as_array(api), expected, rtol=RTOL, atol=ATOL)
        assert np.abs(np.diff(expected, axis=0)).max() > 1e-3
        recorder.assert_clean()


def test_reset_gives_the_books_figure_6_8(playground_page):
    """After changing things, the reset button brings back figure 6-8: four optimizers, the book's lrs."""
    page, recorder = playground_page
    root = playground(page)
    set_controls(root, fn="saddle", steps=7, start=(1, 1), lr={"SGD": 0.5}, on=["RMSprop", "Nesterov"], momentum=0.5)
    root.locator("[data-pg=reset]").click()
    drawn = page_paths(root)
    book = {"SGD": 0.95, "Momentum": 0.1, "AdaGrad": 1.5, "Adam": 0.3}  # 書籍の 6.1.7 節, figure 6-8
    assert list(drawn) == list(book)
    for name, lr in book.items():
        assert float(root.locator(f"[data-pg=lr-{name}]").input_value()) == lr
        np.testing.assert_allclose(drawn[name], python_path("book", name, lr, 30, (-7, 2)), rtol=RTOL, atol=ATOL)
    assert root.locator("[data-pg=fn]").input_value() == "book"
    assert float(root.locator("[data-pg=momentum]").input_value()) == 0.9
    assert root.locator("[data-pg=legend] li").count() == 4
    recorder.assert_clean()


def test_several_optimizers_at_once_in_distinct_colours(playground_page):
    page, recorder = playground_page
    root = playground(page)
    names = ["SGD", "Momentum", "Nesterov", "AdaGrad", "RMSprop", "Adam", "AdamW"]
    lrs = {"SGD": 0.9, "Momentum": 0.08, "Nesterov": 0.08, "AdaGrad": 1.2, "RMSprop": 0.05, "Adam": 0.2, "AdamW": 0.2}
    set_controls(root, steps=40, start=(-7, 2), lr=lrs, on=names)
    drawn = page_paths(root)
    assert list(drawn) == names
    for name in names:
        np.testing.assert_allclose(drawn[name], python_path("book", name, lrs[name], 40, (-7, 2)), rtol=RTOL, atol=ATOL)
    colours = root.locator(".pg-run .pg-path").evaluate_all("(ps) => ps.map((p) => getComputedStyle(p).stroke)")
    assert len(colours) == 7 and len(set(colours)) == 7, colours
    swatches = root.locator("[data-pg=legend] .pg-swatch").evaluate_all(
        "(ss) => ss.map((s) => getComputedStyle(s).backgroundColor)"
    )
    assert swatches == colours, "the legend shows each path's colour"
    recorder.assert_clean()


# --- divergence ------------------------------------------------------------------------


def diverged(root) -> list[str]:
    return root.locator(".pg-diverged").evaluate_all("(gs) => gs.map((g) => g.dataset.optimizer)")


@pytest.mark.filterwarnings("ignore:.*contains nan or inf:RuntimeWarning")  # the reference run diverges on purpose
def test_divergence_is_marked_and_the_page_stays_responsive(playground_page):
    page, recorder = playground_page
    root = playground(page)
    with screenshot_on_failure(page, "playground-divergence"):
        # Chapter 1's parabola: y <- (1 - 2 lr) y, 1.2 times farther each step at lr 1.1.
        set_controls(root, steps=30, start=(-7, 2), lr={"SGD": 1.1, "Momentum": 0.1}, on=["SGD", "Momentum"])
        assert diverged(root) == ["SGD"]
        marker = root.locator(".pg-diverged[data-optimizer=SGD]")
        assert marker.is_visible() and "発散" in marker.text_content()
        assert root.locator("[data-pg=legend] li[data-optimizer=SGD]").get_attribute("data-status") == "diverged"
        np.testing.assert_allclose(page_paths(root)["SGD"], python_path("book", "SGD", 1.1, 30, (-7, 2)), rtol=RTOL)
        # Every point the marker stands for lies outside the plotted area: drawn clipped.
        box = root.locator(".pg-bg").bounding_box()
        marker_box = marker.bounding_box()
        assert box["x"] <= marker_box["x"] and marker_box["x"] + marker_box["width"] <= box["x"] + box["width"] + 1
        assert box["y"] - 1 <= marker_box["y"] and marker_box["y"] + marker_box["height"] <= box["y"] + box["height"] + 1

        # Chapter 6's Adam at lr 90: far out after 10 steps (marked), back near the minimum after 100.
        set_controls(root, steps=10, start=(-7, 2), lr={"Adam": 90}, on=["Adam"])
        assert diverged(root) == ["Adam"]
        root.locator("[data-pg=steps]").fill("100")
        assert diverged(root) == []

        # Overflow to inf and NaN, 5000 steps of every optimizer: no error, no freeze.
        lrs = dict.fromkeys(["SGD", "Momentum", "Nesterov", "AdaGrad", "RMSprop", "Adam", "AdamW"], 100)
        started = time.perf_counter()
        set_controls(root, steps=5000, start=(-7, 2), lr=lrs, on=list(lrs))
        elapsed = time.perf_counter() - started
        drawn = page_paths(root)
        assert np.isnan(drawn["SGD"][-1]).any(), "SGD at lr 100 overflows to inf, then NaN"
        with np.errstate(all="ignore"):
            np.testing.assert_allclose(drawn["SGD"], python_path("book", "SGD", 100, 5000, (-7, 2)), rtol=RTOL)
        assert "SGD" in diverged(root) and "Momentum" in diverged(root)
        assert page.evaluate("() => 1 + 1") == 2
        assert elapsed < 20, f"setting the controls took {elapsed:.1f} s"
        recorder.assert_clean()


def test_what_the_page_suggests_trying_holds(playground_page):
    """The claims of the page's 「試してみること」, with the page's own arithmetic."""
    page, recorder = playground_page

    def run(fn, name, lr, steps, start, **extra):
        options = {"fn": fn, "optimizer": name, "lr": lr, "steps": steps, "start": list(start), **extra}
        return as_array(page.evaluate("(o) => window.zerodlPlayground.run(o)", options))

    # 3. SGD on (x² + κy²)/20 is stable only for lr < 20/κ; the adaptive methods hardly notice κ.
    for kappa in (7, 100, 1000):
        inside = run("quad", "SGD", 0.99 * 20 / kappa, 300, (-7, 2), kappa=kappa)
        outside = run("quad", "SGD", 1.01 * 20 / kappa, 300, (-7, 2), kappa=kappa)
        assert abs(inside[-1, 1]) < abs(inside[0, 1]) < abs(outside[-1, 1])
    for name, lr in [("AdaGrad", 1.5), ("RMSprop", 0.1), ("Adam", 0.3)]:
        book_valley = run("quad", name, lr, 30, (-7, 2), kappa=20)
        thin_valley = run("quad", name, lr, 30, (-7, 2), kappa=1000)
        assert np.abs(book_valley - thin_valley).max() < 1e-3, name

    # 4. From y = 0 exactly every method goes to the saddle point; from y = 0.05 SGD at lr 0.1
    #    needs tens of steps to leave it (|y| > 0.9), the methods that divide by the gradient's size a few.
    def escape(path):
        return int(np.argmax(np.abs(path[:, 1]) > 0.9)) if (np.abs(path[:, 1]) > 0.9).any() else None

    for name, lr in [("SGD", 0.1), ("Momentum", 0.1), ("AdaGrad", 0.3), ("RMSprop", 0.1), ("Adam", 0.3)]:
        on_axis = run("saddle", name, lr, 300, (-1.8, 0))
        assert np.all(on_axis[:, 1] == 0) and np.abs(on_axis[-1]).max() < 1e-3, name
    assert escape(run("saddle", "SGD", 0.1, 300, (-1.8, 0.05))) >= 20
    for name, lr in [("AdaGrad", 0.3), ("RMSprop", 0.1), ("Adam", 0.3)]:
        assert escape(run("saddle", name, lr, 300, (-1.8, 0.05))) <= 5, name

    # 5. Rosenbrock from (-1.2, 1), lr 0.001, 3000 steps: Momentum at (1, 1), SGD still on the way.
    momentum = run("rosenbrock", "Momentum", 0.001, 3000, (-1.2, 1))
    sgd = run("rosenbrock", "SGD", 0.001, 3000, (-1.2, 1))
    assert np.abs(momentum[-1] - 1).max() < 0.01 and np.abs(sgd[-1] - 1).max() > 0.1
    recorder.assert_clean()


def test_bad_input_is_explained_and_changes_nothing(playground_page):
    page, recorder = playground_page
    root = playground(page)
    root.locator("[data-pg=reset]").click()
    before = root.get_attribute("data-paths")
    for name, text, message in [
        ("lr-SGD", "-0.1", "正の数"),
        ("lr-Adam", "", "数を入力"),
        ("momentum", "1", "0 以上 1 未満"),
        ("steps", "2.5", "整数"),
        ("steps", "100000", "整数"),
    ]:
        field = root.locator(f"[data-pg={name}]")
        field.fill(text)
        error = root.locator(f"#{field.get_attribute('aria-describedby')}")
        assert message in error.text_content() and error.is_visible(), (name, text)
        assert field.evaluate("(e) => !e.validity.valid")
        assert root.get_attribute("data-paths") == before, f"{name} = {text!r} must not change the paths"
    root.locator("[data-pg=reset]").click()
    assert root.locator(".pg-error:not(:empty)").count() == 0
    recorder.assert_clean()


def test_adamw_settings_the_package_refuses_are_refused_with_a_message(playground_page):
    """lr * weight_decay >= 1 (W multiplied by 1 - lr * λ <= 0): AdamW refuses it, so does the page."""
    page, recorder = playground_page
    root = playground(page)
    root.locator("[data-pg=reset]").click()
    before = root.get_attribute("data-paths")
    with pytest.raises(ValueError, match="lr \\* weight_decay must be below 1"):
        AdamW(lr=2.5, weight_decay=0.4)
    for name, text in [("lr-AdamW", "2.5"), ("weight_decay", "0.4")]:  # 2.5 * 0.01 is fine, then λ = 0.4 is not
        root.locator(f"[data-pg={name}]").fill(text)
    field = root.locator("[data-pg=weight_decay]")
    error = root.locator(f"#{field.get_attribute('aria-describedby')}")
    assert "1 未満" in error.text_content() and error.is_visible()
    assert field.evaluate("(e) => !e.validity.valid")
    field.fill("0.3")  # 2.5 * 0.3 = 0.75 < 1: accepted
    assert error.text_content() == ""
    root.locator("[data-pg=lr-AdamW]").fill("4")  # 4 * 0.3 >= 1: refused on the learning rate's field
    lr_field = root.locator("[data-pg=lr-AdamW]")
    assert "1 未満" in root.locator(f"#{lr_field.get_attribute('aria-describedby')}").text_content()
    root.locator("[data-pg=reset]").click()
    assert root.get_attribute("data-paths") == before
    recorder.assert_clean()


# --- mouse, touch, keyboard, labels -----------------------------------------------------

SCREEN_POINT = """([x, y]) => {
  const root = document.querySelectorAll('.zerodl-playground')[%d];
  const svg = root.querySelector('svg');
  const bg = root.querySelector('.pg-bg');
  const [x0, x1, y0, y1] = window.zerodlPlayground.functions[root.querySelector('[data-pg=fn]').value].view;
  const left = bg.x.baseVal.value, top = bg.y.baseVal.value;
  const w = bg.width.baseVal.value, h = bg.height.baseVal.value;
  const p = new DOMPoint(left + (x - x0) / (x1 - x0) * w, top + h - (y - y0) / (y1 - y0) * h);
  const q = p.matrixTransform(svg.getScreenCTM());
  return [q.x, q.y];
}"""


def start_point(root) -> tuple[float, float]:
    return float(root.locator("[data-pg=x0]").input_value()), float(root.locator("[data-pg=y0]").input_value())


def test_mouse_click_drag_and_keyboard_move_the_start(playground_page):
    page, recorder = playground_page
    root = playground(page)
    root.locator("[data-pg=reset]").click()
    root.locator("svg").scroll_into_view_if_needed()
    x, y = page.evaluate(SCREEN_POINT % 0, [3, -2])
    page.mouse.click(x, y)
    assert start_point(root) == pytest.approx((3, -2), abs=0.06)
    assert page_paths(root)["SGD"][0] == pytest.approx(start_point(root))

    # Drag the start handle to (-5, 4).
    hx, hy = page.evaluate(SCREEN_POINT % 0, [3, -2])
    tx, ty = page.evaluate(SCREEN_POINT % 0, [-5, 4])
    page.mouse.move(hx, hy)
    page.mouse.down()
    page.mouse.move((hx + tx) / 2, (hy + ty) / 2)
    page.mouse.move(tx, ty)
    page.mouse.up()
    assert start_point(root) == pytest.approx((-5, 4), abs=0.06)

    # Keyboard: focus the handle, arrows move it by 1/100 of the view, Shift by 1/10.
    handle = root.locator("[data-pg=handle]")
    handle.focus()
    before = start_point(root)
    page.keyboard.press("ArrowRight")
    page.keyboard.press("Shift+ArrowDown")
    after = start_point(root)
    assert after == pytest.approx((before[0] + 0.2, before[1] - 1.0))
    assert page_paths(root)["Adam"][0] == pytest.approx(after)
    recorder.assert_clean()


def test_every_control_is_labelled_and_reachable_by_keyboard(playground_page):
    page, recorder = playground_page
    unlabelled = page.evaluate(
        """() => [...document.querySelector('.zerodl-playground').querySelectorAll('input, select, button, [tabindex]')]
            .filter((e) => !((e.labels && [...e.labels].some((l) => l.textContent.trim())) || e.getAttribute('aria-label') || e.textContent.trim()))
            .map((e) => e.outerHTML.slice(0, 80))"""
    )
    assert unlabelled == []
    controls = page.evaluate(
        """() => [...document.querySelector('.zerodl-playground').querySelectorAll('input, select, button, summary, [tabindex]')]
            .filter((e) => e.getClientRects().length > 0).length"""
    )
    page.locator(".zerodl-playground [data-pg=handle]").focus()  # the first control: the plot's start point
    reached = set()
    for _ in range(controls + 5):
        reached.add(page.evaluate("() => document.activeElement.closest('.zerodl-playground') ? document.activeElement.outerHTML : null"))
        page.keyboard.press("Tab")
    reached.discard(None)
    assert len(reached) == controls, f"Tab reaches {len(reached)} of the {controls} controls"
    recorder.assert_clean()


def test_touch_on_a_phone_moves_the_start_and_the_page_fits(phone, server):  # noqa: F811
    page, recorder, _ = open_page(phone, server.url(PAGE))
    root = playground(page)
    with screenshot_on_failure(page, "phone-playground-touch"):
        root.locator("svg").scroll_into_view_if_needed()
        x, y = page.evaluate(SCREEN_POINT % 0, [4, 3])
        page.touchscreen.tap(x, y)
        assert start_point(root) == pytest.approx((4, 3), abs=0.1)
        widths = page.evaluate("() => [document.documentElement.scrollWidth, document.documentElement.clientWidth]")
        assert widths[0] <= widths[1]
        assert root.bounding_box()["width"] <= 375
        recorder.assert_clean()
    close_page(page, recorder)


def test_the_dark_scheme_recolours_the_plot(playground_page):
    """Colours come from the theme's variables: the slate (dark) scheme changes them."""
    page, recorder = playground_page
    look = """() => { const r = document.querySelector('.zerodl-playground');
      return [getComputedStyle(r.querySelector('.pg-bg')).fill, getComputedStyle(r.querySelector('.pg-contour')).stroke,
              getComputedStyle(r.querySelector('.pg-path')).stroke]; }"""
    light = page.evaluate(look)
    page.evaluate("() => document.body.setAttribute('data-md-color-scheme', 'slate')")
    dark = page.evaluate(look)
    page.evaluate("() => document.body.setAttribute('data-md-color-scheme', 'default')")

    def brightness(colour: str) -> float:
        return sum(float(v) for v in colour[colour.index("(") + 1 : colour.index(")")].split(",")[:3]) / 3

    assert brightness(light[0]) > 200 and brightness(dark[0]) < 80, (light, dark)
    assert light[1] != dark[1] and light[2] != dark[2]
    recorder.assert_clean()


def test_the_chapter_7_embed_gives_the_same_paths(desktop, server):  # noqa: F811
    page, recorder, _ = open_page(desktop, server.url(EMBED))
    root = playground(page)
    with screenshot_on_failure(page, "embed-playground"):
        assert root.get_attribute("data-compact") is not None
        # the chapter loads without its work: the copy is drawn when the reader comes near it
        assert root.get_attribute("data-mounted") is None and root.get_attribute("data-paths") is None
        root.scroll_into_view_if_needed()
        page.wait_for_selector(".zerodl-playground[data-paths]")
        drawn = page_paths(root)
        book = {"SGD": 0.95, "Momentum": 0.1, "AdaGrad": 1.5, "Adam": 0.3}
        assert list(drawn) == list(book)
        for name, lr in book.items():
            np.testing.assert_allclose(drawn[name], python_path("book", name, lr, 30, (-7, 2)), rtol=RTOL, atol=ATOL)
        summaries = root.locator("summary")
        assert root.locator("details[open]").count() == 0, "the settings are folded away in the chapter"
        for i in range(summaries.count()):
            summaries.nth(i).click()
        set_controls(root, steps=20, lr={"RMSprop": 0.3}, on=["RMSprop"], decay_rate=0.9)
        expected = python_path("book", "RMSprop", 0.3, 20, (-7, 2), decay_rate=0.9)
        np.testing.assert_allclose(page_paths(root)["RMSprop"], expected, rtol=RTOL, atol=ATOL)
        recorder.assert_clean()
    close_page(page, recorder)


# --- weight and where it loads ------------------------------------------------------------


def test_the_playground_is_small_and_loaded_only_where_used(site):
    files = [site / "javascripts" / "playground.js", site / "stylesheets" / "playground.css"]
    size = sum(f.stat().st_size for f in files)
    assert size <= 40 * 1024, f"playground JS + CSS is {size:,} bytes, over 40 KB"
    users = set()
    for html in site.rglob("*.html"):
        text = html.read_text(encoding="utf-8")
        if "playground.js" in text or "playground.css" in text:
            users.add(html.relative_to(site).as_posix())
        assert ("playground.js" in text) == ('class="zerodl-playground"' in text), html
    assert users == {"playground/index.html", "07-optimizer-comparison/index.html"}


LAYOUT_SHIFT = """() => new Promise((resolve) => {
  let total = 0;
  new PerformanceObserver((list) => {
    for (const e of list.getEntries()) if (!e.hadRecentInput) total += e.value;
  }).observe({ type: "layout-shift", buffered: true });
  setTimeout(() => resolve(total), 300);
})"""


@pytest.mark.parametrize("src", [PAGE, EMBED])
def test_nothing_moves_while_the_playground_loads(browser, server, src):  # noqa: F811
    """Issue 23: cumulative layout shift at most 0.02 on a phone (the widget is drawn in the first
    frame on its page; in chapter 7 its place is kept until it is drawn)."""
    def late(route):  # the script arrives after the page has been drawn once, as on a slow phone
        response = route.fetch()
        time.sleep(1.5)
        route.fulfill(response=response)

    # Lighthouse's phone (a taller screen than PHONE: more of the page is in view), nothing cached
    phone = browser.new_context(viewport={"width": 412, "height": 823}, device_scale_factor=1.75, is_mobile=True,
                                has_touch=True, locale="ja-JP")
    phone.route("**/javascripts/playground.js", late)
    page, recorder, _ = open_page(phone, server.url(src), own_tab=True)
    with screenshot_on_failure(page, f"layout-shift-{src}"):
        if src == EMBED:
            playground(page).scroll_into_view_if_needed()
            page.wait_for_selector(".zerodl-playground[data-paths]")
        shift = page.evaluate(LAYOUT_SHIFT)
        assert shift <= 0.02, f"{src}: the page moved while loading (CLS {shift:.3f})"
        recorder.assert_clean()
    close_page(page, recorder)
    phone.close()
