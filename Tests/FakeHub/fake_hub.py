#!/usr/bin/env python3
"""A stand-in for the Hugging Face hub on the loopback, for `vidsearch model pull`'s tests
(Tests/CLITests/ModelPullTests.swift). It answers as the hub does: `HEAD|GET /ORG/NAME/resolve/
REVISION/FILE` with X-Repo-Commit and ETag; a large file (.safetensors, .bin) redirects to a
second host (127.0.0.2, the storage) with X-Linked-Etag (its sha256) and X-Linked-Size; errors carry
X-Error-Code (RepoNotFound with 401, RevisionNotFound and EntryNotFound with 404). The storage
serves Range requests. Repositories, all made of the files in FIXTURE (a CLIP checkpoint):
  acme/tiny-clip    config.json and model.safetensors
  acme/private      the same, for the token "secret-token" only (401 otherwise)
  acme/flaky        the storage cuts the first whole-file download of a blob halfway
  acme/corrupt      the storage sends model.safetensors with one byte changed
  acme/pytorch      config.json and pytorch_model.bin
Every request is logged to LOG as "HOST METHOD PATH RANGE AUTHORIZATION".
Usage: fake_hub.py PORTS_FILE FIXTURE LOG   (writes "HUB_PORT STORAGE_PORT" to PORTS_FILE when ready)
"""
import hashlib
import http.server
import pathlib
import socket
import sys
import threading

COMMIT = "c0ffee" + "0" * 34
TOKEN = "secret-token"
ports_file, fixture, log_path = sys.argv[1], pathlib.Path(sys.argv[2]), sys.argv[3]
log_lock = threading.Lock()
cut_once = set()


def content(name):
    return (fixture / name).read_bytes()


REPOS = {
    "acme/tiny-clip": ["config.json", "model.safetensors"],
    "acme/private": ["config.json", "model.safetensors"],
    "acme/flaky": ["config.json", "model.safetensors"],
    "acme/corrupt": ["config.json", "model.safetensors"],
    "acme/pytorch": ["config.json", "pytorch_model.bin"],
}
LARGE = (".safetensors", ".bin")
BLOBS = {}  # sha256 -> (bytes, repo)
for repo, files in REPOS.items():
    for name in files:
        if name.endswith(LARGE):
            data = content(name)
            BLOBS[hashlib.sha256(data).hexdigest()] = data


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def record(self):
        with log_lock, open(log_path, "a") as log:
            log.write(f"{self.server.server_address[0]} {self.command} {self.path} {self.headers.get('Range', '-')} "
                      f"{self.headers.get('Authorization', '-')}\n")

    def answer(self, status, headers=(), body=b""):
        self.send_response(status)
        for k, v in headers:
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def do_HEAD(self):
        self.route()

    def do_GET(self):
        self.route()


class Hub(Handler):
    def route(self):
        self.record()
        parts = self.path.split("?")[0].strip("/").split("/")
        if len(parts) < 5 or parts[2] != "resolve":
            return self.answer(404, [("X-Error-Code", "RepoNotFound")])
        repo, revision, name = "/".join(parts[:2]), parts[3], "/".join(parts[4:])
        if repo not in REPOS:
            return self.answer(401, [("X-Error-Code", "RepoNotFound"), ("X-Error-Message", "Repository not found")])
        if repo == "acme/private":
            auth = self.headers.get("Authorization")
            if auth is None:
                return self.answer(401, [("X-Error-Code", "RepoNotFound"), ("X-Error-Message", "Repository not found")])
            if auth != f"Bearer {TOKEN}":
                return self.answer(401, [("X-Error-Message", "Invalid credentials in Authorization header")])
        if revision not in ("main", COMMIT):
            return self.answer(404, [("X-Error-Code", "RevisionNotFound"), ("X-Error-Message", "Invalid rev id")])
        if name not in REPOS[repo]:
            return self.answer(404, [("X-Error-Code", "EntryNotFound"), ("X-Error-Message", "Entry not found")])
        data = content(name)
        if name.endswith(LARGE):
            sha = hashlib.sha256(data).hexdigest()
            location = f"http://127.0.0.2:{storage.server_address[1]}/blobs/{sha}?repo={repo}"
            return self.answer(302, [("Location", location), ("X-Repo-Commit", COMMIT), ("ETag", '"gitlfs-pointer"'),
                                     ("X-Linked-Etag", f'"{sha}"'), ("X-Linked-Size", str(len(data)))])
        git = hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()
        return self.answer(200, [("X-Repo-Commit", COMMIT), ("ETag", f'"{git}"')], data)


class Storage(Handler):
    def route(self):
        self.record()
        path, _, query = self.path.partition("?")
        sha = path.rsplit("/", 1)[-1]
        if sha not in BLOBS:
            return self.answer(404)
        data = bytearray(BLOBS[sha])
        repo = query.replace("repo=", "")
        if repo == "acme/corrupt":
            data[len(data) // 2] ^= 0xFF
        start = 0
        rng = self.headers.get("Range")
        if rng and rng.startswith("bytes=") and rng.endswith("-"):
            start = int(rng[6:-1])
        if repo == "acme/flaky" and start == 0 and self.command == "GET" and (repo, sha) not in cut_once:
            cut_once.add((repo, sha))  # headers promise the whole file, half arrives, the connection dies
            self.send_response(200)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(bytes(data[: len(data) // 2]))
            self.wfile.flush()
            self.connection.shutdown(socket.SHUT_RDWR)
            self.close_connection = True
            return
        if start:
            body = bytes(data[start:])
            return self.answer(206, [("Content-Range", f"bytes {start}-{len(data) - 1}/{len(data)}"), ("ETag", f'"{sha}"')], body)
        return self.answer(200, [("ETag", f'"{sha}"')], bytes(data))


hub = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Hub)
storage = http.server.ThreadingHTTPServer(("127.0.0.2", 0), Storage)
for server in (hub, storage):
    threading.Thread(target=server.serve_forever, daemon=True).start()
pathlib.Path(ports_file + ".tmp").write_text(f"{hub.server_address[1]} {storage.server_address[1]}\n")
pathlib.Path(ports_file + ".tmp").rename(ports_file)
sys.stdin.read()  # until the test closes our input
