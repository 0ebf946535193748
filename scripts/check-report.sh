#!/usr/bin/env bash
# Renders the HTML report of the test fixture run in headless Chromium and fails
# unless the browser built every chart with its marks and the screenshot shows a
# page (right size, not blank, chart colours present).
#
#   bash scripts/check-report.sh [OUT_DIR]
#
# Installs Debian's `chromium` when it is missing. Uses the built `hubminer` (set
# HUBMINER to use another). Leaves report.html, report.png (the whole page)
# and dom.html in OUT_DIR (default: a temporary directory,
# removed unless the check fails). Needs only python3's standard library.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v chromium >/dev/null; then
    echo "check-report: installing chromium" >&2
    sudo=""
    [ "$(id -u)" -ne 0 ] && sudo="sudo"
    $sudo apt-get update -q
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q --no-install-recommends chromium
fi

hubminer=${HUBMINER:-}
if [ -z "$hubminer" ]; then
    hubminer="$(swift build --show-bin-path)/hubminer"
    [ -x "$hubminer" ] || swift build --product hubminer >&2
fi

fixture=Tests/ReportTests/Fixtures/run
keep=1
out=${1:-}
if [ -z "$out" ]; then out=$(mktemp -d); keep=0; fi
mkdir -p "$out"
out=$(cd "$out" && pwd)

"$hubminer" report "$fixture" --out "$out/report.html" >/dev/null

# One browser run writes the screenshot and prints the DOM it built. The page is
# about 5000 px tall; the first 3600 px (summary, ranking, every scatter, the tau
# bars and the first training charts) keep the pixel check quick, and the DOM check
# covers the whole page. REPORT_SHOT_HEIGHT=5600 shoots all of it.
width=1280
height=${REPORT_SHOT_HEIGHT:-3600}
# Chromium logs harmless D-Bus complaints on machines without a session bus.
chromium --headless --no-sandbox --disable-gpu --hide-scrollbars --no-first-run --mute-audio \
    --disable-extensions --disable-background-networking --window-size=$width,$height \
    --screenshot="$out/report.png" --dump-dom "file://$out/report.html" >"$out/dom.html" 2>"$out/chromium.log"

status=0
python3 - "$fixture" "$out" $width $height <<'PY' || status=$?
import json, os, re, struct, sys, zlib

fixture, out, width, height = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
failures = []

def fail(message):
    failures.append(message)

# --- the DOM as Chromium built it ---------------------------------------------
dom = open(os.path.join(out, "dom.html"), encoding="utf-8").read()
html = open(os.path.join(out, "report.html"), encoding="utf-8").read()
for text, what in (("<script", "a script"), ("http://", "an http:// reference"), ("https://", "an https:// reference")):
    if text in html.lower():
        fail(f"report.html holds {what}")

ranking = json.load(open(os.path.join(fixture, "ranking.json")))
metrics = ranking["metric_names"]
models = len(ranking["models"])
methods = sorted(d for d in os.listdir(os.path.join(fixture, "tuning")) if not d.startswith("."))

def svg(chart_id):
    """The <svg id=...> element's markup in the DOM dump, or None."""
    m = re.search(r'<svg[^>]*\bid="%s"[^>]*>(.*?)</svg>' % re.escape(chart_id), dom, re.S)
    return m.group(1) if m else None

def count(markup, tag, cls=None):
    pattern = r"<%s\b[^>]*%s" % (tag, r'class="%s"' % cls if cls else "")
    return len(re.findall(pattern, markup))

for section in ("summary", "ranking", "scatter", "tau", "training", "accuracy", "configuration", "timings"):
    if f'<section id="{section}"' not in dom:
        fail(f"section #{section} missing from the DOM")

scatters = re.findall(r'<svg[^>]*\bid="(chart-scatter-[^"]*)"', dom)
if len(scatters) != len(metrics):
    fail(f"{len(scatters)} scatter charts, expected one per metric ({len(metrics)})")
for chart in scatters:
    points = count(svg(chart), "circle", "point")
    if points != models:
        fail(f"#{chart}: {points} points, expected {models}")
    if count(svg(chart), "path", "trend") != 1:
        fail(f"#{chart}: no trend line")

tau = svg("chart-tau")
if tau is None:
    fail("#chart-tau missing")
else:
    evaluation = json.load(open(os.path.join(fixture, "evaluation.json")))["metrics"]
    expected = sum(1 for q in evaluation.values() if q.get("weighted_tau") is not None)
    if count(tau, "rect", "bar") != expected:
        fail(f"#chart-tau: {count(tau, 'rect', 'bar')} bars, expected {expected}")

if svg("chart-acc-all") is None or count(svg("chart-acc-all"), "path", "series") != len(methods):
    fail(f"#chart-acc-all: expected one line per method ({len(methods)})")
for method in methods:
    for prefix, tag, cls in (("chart-loss", "path", "series"), ("chart-acc", "path", "series"), ("chart-acc", "circle", "marker")):
        markup = svg(f"{prefix}-{method}")
        if markup is None:
            fail(f"#{prefix}-{method} missing")
        elif count(markup, tag, cls) == 0:
            fail(f"#{prefix}-{method}: no {tag}.{cls}")
    if svg(f"chart-acc-{method}") is not None and count(svg(f"chart-acc-{method}"), "path", "band") == 0:
        fail(f"#chart-acc-{method}: no min-max band")

charts = re.findall(r'<svg[^>]*class="chart"', dom)
if "NaN" in dom or "nan " in dom:
    fail("NaN in the DOM")

# --- the screenshot: size, not blank, chart colours present ----------------------
def read_png(path):
    """Width, height, channels and rows of an 8-bit RGB(A) PNG (no interlace)."""
    data = open(path, "rb").read()
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        raise ValueError("not a PNG")
    pos, idat, header = 8, [], None
    while pos < len(data):
        length, kind = struct.unpack(">I4s", data[pos:pos + 8])
        chunk = data[pos + 8:pos + 8 + length]
        if kind == b"IHDR":
            header = struct.unpack(">IIBBBBB", chunk)
        elif kind == b"IDAT":
            idat.append(chunk)
        pos += 12 + length
    w, h, depth, color, _, _, interlace = header
    if depth != 8 or color not in (2, 6) or interlace:
        raise ValueError(f"unsupported PNG (depth {depth}, colour type {color}, interlace {interlace})")
    bpp = 3 if color == 2 else 4
    raw = zlib.decompress(b"".join(idat))
    stride = w * bpp
    rows, previous = [], bytearray(stride)
    # Bytewise (x + y) mod 256 of whole rows at once, as big integers: add the low
    # 7 bits, then put back the top bits without carrying out of any byte.
    low7 = int.from_bytes(b"\x7f" * stride, "little")
    top = int.from_bytes(b"\x80" * stride, "little")
    def add_rows(x, y):
        a, b = int.from_bytes(x, "little"), int.from_bytes(y, "little")
        return bytearray((((a & low7) + (b & low7)) ^ ((a ^ b) & top)).to_bytes(stride, "little"))
    for y in range(h):
        start = y * (stride + 1)
        kind = raw[start]
        row = bytearray(raw[start + 1:start + 1 + stride])
        if kind == 1:
            for i in range(bpp, stride):
                row[i] = (row[i] + row[i - bpp]) & 255
        elif kind == 2:
            row = add_rows(row, previous)
        elif kind == 3:
            for i in range(stride):
                left = row[i - bpp] if i >= bpp else 0
                row[i] = (row[i] + ((left + previous[i]) >> 1)) & 255
        elif kind == 4:
            for i in range(bpp):
                row[i] = (row[i] + previous[i]) & 255
            for i in range(bpp, stride):
                a, b, c = row[i - bpp], previous[i], previous[i - bpp]
                pa, pb = b - c, a - c
                pc = abs(pa + pb)
                pa, pb = abs(pa), abs(pb)
                row[i] = (row[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
        elif kind != 0:
            raise ValueError(f"row {y}: unknown PNG filter {kind}")
        rows.append(row)
        previous = row
    return w, h, bpp, rows

def check_png(name, want_w, want_h, colours):
    path = os.path.join(out, name)
    if not os.path.exists(path):
        fail(f"{name} was not written")
        return
    w, h, bpp, rows = read_png(path)
    if (w, h) != (want_w, want_h):
        fail(f"{name} is {w}x{h}, expected {want_w}x{want_h}")
    # Luminance variance over a grid of samples; a blank (all-white) page has none.
    samples = [rows[y][x * bpp:x * bpp + 3] for y in range(0, h, 7) for x in range(0, w, 5)]
    lum = [0.299 * p[0] + 0.587 * p[1] + 0.114 * p[2] for p in samples]
    mean = sum(lum) / len(lum)
    variance = sum((v - mean) ** 2 for v in lum) / len(lum)
    if variance < 50:
        fail(f"{name} looks blank (luminance variance {variance:.1f})")
    for colour, label in colours:
        hits = sum(1 for p in samples if all(abs(p[i] - colour[i]) <= 12 for i in range(3)))
        if hits < 20:
            fail(f"{name}: hardly any {label} pixels ({hits} samples): charts not drawn?")
    print(f"check-report: {name} {w}x{h}, luminance variance {variance:.0f}")

blue = ((0x00, 0x72, 0xB2), "chart blue #0072B2")
orange = ((0xE6, 0x9F, 0x00), "series orange #E69F00")
check_png("report.png", width, height, [blue, orange])

print(f"check-report: {len(charts)} charts, {len(scatters)} scatters, {len(methods)} tuning methods")
if failures:
    for f in failures:
        print("check-report: FAIL " + f, file=sys.stderr)
    sys.exit(1)
print("check-report: ok")
PY

if [ $status -ne 0 ]; then
    echo "check-report: files kept in $out" >&2
    exit $status
fi
[ $keep -eq 1 ] || rm -rf "$out"
