#!/usr/bin/env python3
"""Takes screenshots of the staff site with headless Chromium over WebDriver (chromedriver), signing in as a
given account. Standard library only. Used to look at the pages as a person would and for the README.

    scripts/screenshots.py --base http://127.0.0.1:8081 --user owl --password PW --totp-secret BASE32 --out docs/screenshots \
        [--lang en] [--page NAME=/path ...]
"""
import argparse, base64, hashlib, hmac, json, os, socket, struct, subprocess, sys, tempfile, time, urllib.request


def call(base, method, path, body=None):
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(base + path, data=data, method=method, headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=60) as resp:
        return json.loads(resp.read() or b"{}").get("value")


def totp(secret_base32, now=None):
    """RFC 6238 code (SHA-1, 30 s, 6 digits), as the demo's authenticator would show it."""
    key = base64.b32decode(secret_base32 + "=" * (-len(secret_base32) % 8))
    counter = struct.pack(">Q", int((now or time.time()) // 30))
    digest = hmac.new(key, counter, hashlib.sha1).digest()
    offset = digest[-1] & 0x0F
    return "%06d" % ((struct.unpack(">I", digest[offset:offset + 4])[0] & 0x7FFFFFFF) % 1000000)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--base", required=True)
    ap.add_argument("--user", required=True)
    ap.add_argument("--password", required=True)
    ap.add_argument("--totp-secret", help="the account's totp_secret from the demo's account line")
    ap.add_argument("--out", required=True)
    ap.add_argument("--lang", default="en")
    ap.add_argument("--width", type=int, default=1360)
    ap.add_argument("--height", type=int, default=900)
    ap.add_argument("--page", action="append", default=[], help="NAME=/path (a path of 'first-case' opens the first case in the queue)")
    args = ap.parse_args()
    os.makedirs(args.out, exist_ok=True)
    port = free_port()
    driver = subprocess.Popen(["chromedriver", f"--port={port}"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wd = f"http://127.0.0.1:{port}"
    try:
        for _ in range(100):
            try:
                call(wd, "GET", "/status")
                break
            except Exception:
                time.sleep(0.1)
        profile = tempfile.mkdtemp(prefix="sito-chromium-")
        flags = ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 f"--user-data-dir={profile}", f"--window-size={args.width},{args.height}"]
        caps = {"capabilities": {"alwaysMatch": {"browserName": "chrome", "goog:chromeOptions": {
            "binary": "/usr/bin/chromium", "args": flags}}}}
        session = call(wd, "POST", "/session", caps)["sessionId"]
        s = f"/session/{session}"

        def go(path):
            call(wd, "POST", s + "/url", {"url": args.base + path})

        def find(css):
            el = call(wd, "POST", s + "/element", {"using": "css selector", "value": css})
            return next(iter(el.values()))

        def shot(name):
            png = base64.b64decode(call(wd, "GET", s + "/screenshot"))
            path = os.path.join(args.out, f"{name}.png")
            with open(path, "wb") as f:
                f.write(png)
            print(path)

        go(f"/lang?to={args.lang}&back=/login")
        shot("login")
        call(wd, "POST", s + f"/element/{find('input[name=call_sign]')}/value", {"text": args.user})
        call(wd, "POST", s + f"/element/{find('input[name=password]')}/value", {"text": args.password})
        if args.totp_secret:
            call(wd, "POST", s + f"/element/{find('input[name=code]')}/value", {"text": totp(args.totp_secret)})
        call(wd, "POST", s + f"/element/{find('form.stack button')}/click", {})
        time.sleep(0.5)
        for spec in args.page or ["queue=/queue"]:
            name, path = spec.split("=", 1)
            if path == "first-case":
                go("/queue")
                href = call(wd, "POST", s + "/execute/sync", {"script": "return document.querySelector('table.cases a').getAttribute('href')", "args": []})
                path = href
            go(path)
            shot(name)
        call(wd, "DELETE", s)
    finally:
        driver.terminate()


if __name__ == "__main__":
    sys.exit(main())
