"""The page in headless Chromium (Debian's package), driven through the DevTools protocol:
type a caption, the grid fills with the right clip and a decoded thumbnail, a click plays the
hit from its start; with one hit per video, a video of three shots plays exactly the moment of
the shot asked for. A screenshot of the results page is saved and its path printed.

Run by the README's test command: VIDSEARCH_BIN names the vidsearch binary (default: the debug
build); CHROMIUM the browser (default: chromium on PATH).
"""
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import unittest
import urllib.request

sys.path.insert(0, os.path.dirname(__file__))
from cdp import Page  # noqa: E402

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
BIN = os.path.abspath(os.environ.get("VIDSEARCH_BIN", os.path.join(ROOT, ".build", "debug", "vidsearch")))
MODEL = os.path.join(ROOT, "Models", "xclip-demo")
SAMPLES = os.path.join(ROOT, "Samples", "demo-clips")
CHROMIUM = os.environ.get("CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")
SCREENSHOT = os.environ.get("VIDSEARCH_SCREENSHOT", os.path.join(ROOT, ".build", "browser-test", "results.png"))


def wait(what, probe, timeout=30.0):
    deadline = time.time() + timeout
    while time.time() < deadline:
        value = probe()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


class PageTests(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        if not os.access(BIN, os.X_OK):
            raise unittest.SkipTest(f"no vidsearch binary at {BIN} (swift build first)")
        if not CHROMIUM:
            raise unittest.SkipTest("no chromium on PATH (scripts/test installs Debian's package)")
        cls.tmp = tempfile.mkdtemp(prefix="vidsearch-browser-")
        cls.addClassCleanup(shutil.rmtree, cls.tmp, True)
        footage = os.path.join(cls.tmp, "footage")
        shutil.copytree(SAMPLES, footage)
        # One clip gets a sidecar subtitle: its line is shown under the thumbnail and played from.
        with open(os.path.join(footage, "clip-00007.en.srt"), "w") as f:
            f.write("1\n00:00:02,000 --> 00:00:03,000\nThe <i>lighthouse</i> keeper waves\n")
        # A video of three 3 s shots (hard cuts at 3 and 6 s) cut from three clips: a red square
        # blinking, a green triangle moving up, a green square growing (each clip's centred square,
        # where its object moves).
        square = "setpts=PTS-STARTPTS,crop='min(iw,ih)':'min(iw,ih)',scale=160:160,setsar=1,fps=24"
        subprocess.run(["ffmpeg", "-loglevel", "error", "-y"] +
                       [a for clip in ("clip-00026", "clip-00024", "clip-00023") for a in ("-i", os.path.join(SAMPLES, clip + ".mp4"))] +
                       ["-filter_complex", f"[0]trim=duration=3,{square}[a];[1]trim=duration=3,{square}[b];"
                                           f"[2]trim=duration=3,{square}[c];[a][b][c]concat=n=3:v=1:a=0[out]",
                        "-map", "[out]", "-c:v", "libx264", "-pix_fmt", "yuv420p", os.path.join(footage, "shots.mp4")], check=True)
        index = os.path.join(cls.tmp, "index")
        subprocess.run([BIN, "index", footage, "--index", index, "--model", MODEL], check=True, capture_output=True)
        with open(os.path.join(SAMPLES, "labels.jsonl")) as f:
            cls.captions = {json.loads(line)["file"]: json.loads(line)["caption"] for line in f}

        cls.server = subprocess.Popen([BIN, "serve", "--index", index, "--model", MODEL, "--port", "0"],
                                      stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        cls.addClassCleanup(cls.server.stdout.close)
        cls.addClassCleanup(cls.server.wait)
        cls.addClassCleanup(cls.server.terminate)
        # Its first line: "vidsearch: serving DIR at http://HOST:PORT/" (Server/ServeHandshake.swift).
        line = cls.server.stdout.readline()
        cls.base = line[line.index(" at http://") + 4:].strip().rstrip("/")

        profile = os.path.join(cls.tmp, "profile")
        cls.browser = subprocess.Popen([CHROMIUM, "--headless=new", "--no-sandbox", "--disable-gpu", "--remote-debugging-port=0",
                                        f"--user-data-dir={profile}", "--autoplay-policy=no-user-gesture-required", "--mute-audio",
                                        "--window-size=1280,860", "--no-first-run", "about:blank"],
                                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        cls.addClassCleanup(cls.browser.wait)
        cls.addClassCleanup(cls.browser.kill)
        port_file = os.path.join(profile, "DevToolsActivePort")
        def port():
            if not os.path.exists(port_file):
                return None
            with open(port_file) as f:
                return f.read().split("\n")[0]
        port = wait("Chromium's DevTools port", port)
        targets = json.load(urllib.request.urlopen(f"http://127.0.0.1:{port}/json/list"))
        cls.page = Page(next(t for t in targets if t["type"] == "page")["webSocketDebuggerUrl"])
        cls.addClassCleanup(cls.page.ws.sock.close)
        cls.page.call("Page.enable")

    def test_one_hit_per_video_plays_the_moment_of_its_shot(self):
        page = self.page
        caption = "a green triangle moving up"
        page.call("Page.navigate", url=self.base + "/?group=1&q=" + urllib.parse.quote(caption))
        wait("the grid", lambda: page.evaluate("document.querySelectorAll('#hits .card').length") > 0)
        api = json.load(urllib.request.urlopen(f"{self.base}/api/search?q={urllib.parse.quote(caption)}&per_video=true&k=48"))["hits"]
        files = page.evaluate("[...document.querySelectorAll('#hits .card .file')].map(f => f.textContent)")
        self.assertEqual(files, [h["file"] for h in api], "the page shows the API's moments, one per video")
        moment = next(h for h in api if h["file"] == "shots.mp4")
        self.assertTrue(abs(moment["start"] - 3.0) < 0.2 and abs(moment["end"] - 6.0) < 0.2,
                        f"the moment {moment['start']}-{moment['end']} is the shot 3.0-6.0")
        card = files.index("shots.mp4")
        box = page.evaluate(f"""(() => {{ const img = document.querySelectorAll('#hits .card img')[{card}]; img.scrollIntoView({{block: 'center'}});
            const r = img.getBoundingClientRect(); return [r.x + r.width / 2, r.y + r.height / 2]; }})()""")
        page.click(*box)
        wait("the player to play", lambda: page.evaluate("document.getElementById('video').dataset.played === '1'"), timeout=20)
        video = page.evaluate("""(() => { const v = document.getElementById('video');
            return {from: Number(v.dataset.playedFrom), start: Number(v.dataset.start), end: Number(v.dataset.end),
                    range: document.getElementById('player-range').textContent}; })()""")
        self.assertEqual((video["start"], video["end"]), (moment["start"], moment["end"]), "the player's range is the moment's")
        self.assertEqual(video["range"], "0:03.0 – 0:06.0")
        self.assertTrue(abs(video["from"] - moment["start"]) < 0.3, f"played from {video['from']}, the moment starts at {moment['start']}")
        page.call("Input.dispatchKeyEvent", type="keyDown", key="Escape", code="Escape", windowsVirtualKeyCode=27)
        wait("the player to close", lambda: page.evaluate("document.getElementById('player').hidden"))

    def test_type_a_caption_see_the_clip_and_play_its_range(self):
        page = self.page
        page.call("Page.navigate", url=self.base + "/")
        wait("the page and its stats", lambda: page.evaluate(
            "!!document.getElementById('stats') && document.getElementById('stats').textContent.includes('31 videos')"))
        caption = "a blue square shrinking"
        page.evaluate("document.getElementById('q').focus()")
        page.type(caption)  # as typed: the search runs when typing pauses
        wait("the grid", lambda: page.evaluate("document.querySelectorAll('#hits .card').length") > 0)
        first = page.evaluate("""(() => { const c = document.querySelector('#hits .card'); const img = c.querySelector('img');
            return {file: c.querySelector('.file').textContent, range: c.querySelector('.range').textContent,
                    complete: img.complete, width: img.naturalWidth, segment: c.dataset.segment}; })()""")
        if not first["complete"]:
            wait("the thumbnail", lambda: page.evaluate("document.querySelector('#hits .card img').complete"))
            first["width"] = page.evaluate("document.querySelector('#hits .card img').naturalWidth")
        self.assertEqual(self.captions[first["file"]], caption, first)
        self.assertGreater(first["width"], 0, "the thumbnail decoded")
        api = json.load(urllib.request.urlopen(f"{self.base}/api/search?q={urllib.parse.quote(caption)}&k=1"))["hits"][0]
        self.assertEqual(first["file"], api["file"])
        self.assertTrue(first["range"].startswith("0:00.0"), first["range"])
        self.assertIn("q=a+blue+square+shrinking", page.evaluate("location.search"), "the address bar carries the search")

        os.makedirs(os.path.dirname(SCREENSHOT), exist_ok=True)
        page.screenshot(SCREENSHOT)
        print(f"\nscreenshot of the results page: {SCREENSHOT}", file=sys.stderr)

        box = page.evaluate("(() => { const r = document.querySelector('#hits .card img').getBoundingClientRect();"
                            " return [r.x + r.width / 2, r.y + r.height / 2]; })()")
        page.click(*box)
        wait("the player to play", lambda: page.evaluate("document.getElementById('video').dataset.played === '1'"), timeout=20)
        video = page.evaluate("""(() => { const v = document.getElementById('video');
            return {from: Number(v.dataset.playedFrom), start: Number(v.dataset.start), end: Number(v.dataset.end),
                    now: v.currentTime, hidden: document.getElementById('player').hidden}; })()""")
        self.assertFalse(video["hidden"])
        self.assertEqual(video["start"], api["start"])
        self.assertTrue(abs(video["from"] - video["start"]) < 0.3, f"played from {video['from']}, the hit starts at {video['start']}")
        wait("time to pass", lambda: page.evaluate("document.getElementById('video').currentTime") > video["from"])
        self.assertIn("play=1", page.evaluate("location.search"), "the playing hit is in the address too")

        # Escape closes the player; reloading the address runs the same search again.
        page.call("Input.dispatchKeyEvent", type="keyDown", key="Escape", code="Escape", windowsVirtualKeyCode=27)
        wait("the player to close", lambda: page.evaluate("document.getElementById('player').hidden"))
        page.call("Page.navigate", url=self.base + "/?q=" + urllib.parse.quote(caption))
        wait("the same grid from the address", lambda: page.evaluate(
            "(document.querySelector('#hits .card .file') || {}).textContent") == first["file"])

    def test_a_spoken_word_shows_its_line_marked_and_plays_from_it(self):
        page = self.page
        page.call("Page.navigate", url=self.base + "/?q=lighthouse")
        wait("the grid", lambda: page.evaluate("document.querySelectorAll('#hits .card').length") > 0)
        first = page.evaluate("""(() => { const c = document.querySelector('#hits .card'); const said = c.querySelector('.said');
            return {file: c.querySelector('.file').textContent, said: said && said.textContent,
                    marked: said ? [...said.querySelectorAll('mark')].map(m => m.textContent) : []}; })()""")
        self.assertEqual(first, {"file": "clip-00007.mp4", "said": "The lighthouse keeper waves", "marked": ["lighthouse"]})
        others = page.evaluate("document.querySelectorAll('#hits .card .said').length")
        self.assertEqual(others, 1, "only the hit found by its words shows a line")
        api = json.load(urllib.request.urlopen(f"{self.base}/api/search?q=lighthouse&k=3"))
        self.assertEqual(api["hits"][0]["signals"], ["visual", "speech"])
        self.assertEqual(api["hits"][0]["speech"]["parts"], ["The ", "lighthouse", " keeper waves"])
        only = json.load(urllib.request.urlopen(f"{self.base}/api/search?q=lighthouse&signals=speech"))
        self.assertEqual([h["file"] for h in only["hits"]], ["clip-00007.mp4"])
        box = page.evaluate("(() => { const r = document.querySelector('#hits .card img').getBoundingClientRect();"
                            " return [r.x + r.width / 2, r.y + r.height / 2]; })()")
        page.click(*box)
        wait("the player to play", lambda: page.evaluate("document.getElementById('video').dataset.played === '1'"), timeout=20)
        played = page.evaluate("Number(document.getElementById('video').dataset.playedFrom)")
        self.assertTrue(abs(played - 2.0) < 0.3, f"played from {played}, the line is said at 2.0")
        page.call("Input.dispatchKeyEvent", type="keyDown", key="Escape", code="Escape", windowsVirtualKeyCode=27)
        wait("the player to close", lambda: page.evaluate("document.getElementById('player').hidden"))


if __name__ == "__main__":
    unittest.main()
