"""The driver's pieces without a cluster: publishing a shard, and starting the binary."""
import errno
import os
import shutil
import subprocess
import sys
import tempfile
import time
import unittest
from unittest import mock

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))
from vidsearch_cluster import binary, task  # noqa: E402


class PublishTests(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="vidsearch-units-")
        self.addCleanup(shutil.rmtree, self.tmp, True)
        self.shard = os.path.join(self.tmp, "shard")
        os.makedirs(self.shard)
        with open(os.path.join(self.shard, "data.mdb"), "w") as f:
            f.write("records")
        self.staging = os.path.join(self.tmp, "staging")
        os.makedirs(self.staging)

    def leftovers(self):
        return [n for n in os.listdir(self.staging) if n.startswith(".incoming")]

    def test_a_shard_appears_whole(self):
        final = task._publish(self.shard, self.staging, "share-1")
        with open(os.path.join(final, "data.mdb")) as f:
            self.assertEqual(f.read(), "records")
        self.assertEqual(self.leftovers(), [])

    def test_another_attempt_that_finished_first_is_kept(self):
        first = task._publish(self.shard, self.staging, "share-1")
        with open(os.path.join(self.shard, "data.mdb"), "w") as f:
            f.write("second attempt")
        self.assertEqual(task._publish(self.shard, self.staging, "share-1"), first)
        with open(os.path.join(first, "data.mdb")) as f:
            self.assertEqual(f.read(), "records")
        self.assertEqual(self.leftovers(), [])

    def test_any_other_rename_error_fails_the_share(self):
        for code in (errno.EACCES, errno.ENOSPC, errno.EXDEV, errno.ENOENT):
            with mock.patch("os.rename", side_effect=OSError(code, os.strerror(code))):
                with self.assertRaises(OSError) as raised:
                    task._publish(self.shard, self.staging, f"share-{code}")
            self.assertEqual(raised.exception.errno, code)
            self.assertFalse(os.path.exists(os.path.join(self.staging, f"share-{code}")))
            self.assertEqual(self.leftovers(), [])

    def test_an_existing_name_that_is_no_shard_is_an_error(self):
        with open(os.path.join(self.staging, "share-1"), "w") as f:
            f.write("a file, not a shard")
        with self.assertRaises(OSError):
            task._publish(self.shard, self.staging, "share-1")


def read(path):
    with open(path) as f:
        return f.read()


class StartTests(unittest.TestCase):
    def test_no_python_runs_in_the_child(self):
        seen = {}
        real = subprocess.Popen

        def spy(command, **kwargs):
            seen.update(kwargs, command=command)
            return real(command, **kwargs)

        with mock.patch("subprocess.Popen", side_effect=spy):
            status, _, _ = binary.run("/bin/true", [])
        self.assertEqual(status, 0)
        self.assertNotIn("preexec_fn", seen)
        self.assertEqual(seen["command"][:4], [shutil.which("setpriv"), "--pdeathsig", "KILL", "--"])

    def test_the_child_dies_with_its_parent(self):
        code = ("import sys; sys.path.insert(0, %r); from vidsearch_cluster import binary; "
                "binary.run('/bin/sleep', ['60'])" % os.path.join(os.path.dirname(__file__), ".."))
        parent = subprocess.Popen([sys.executable, "-c", code])
        self.addCleanup(parent.kill)
        child = None
        for _ in range(100):
            children = read(f"/proc/{parent.pid}/task/{parent.pid}/children").split()
            if children and read(f"/proc/{children[0]}/cmdline").startswith("/bin/sleep"):
                child = int(children[0])
                break
            time.sleep(0.05)
        self.assertIsNotNone(child, "the sleep child never started")
        parent.kill()
        parent.wait()
        for _ in range(100):
            if not os.path.exists(f"/proc/{child}") or read(f"/proc/{child}/stat").split()[2] == "Z":
                break
            time.sleep(0.05)
        else:
            os.kill(child, 9)
            self.fail("the child outlived its parent")

    def test_a_missing_binary_is_named(self):
        with self.assertRaises(binary.VidsearchError) as raised:
            binary.run("/no/such/vidsearch", ["index"])
        self.assertIn("cannot start /no/such/vidsearch", str(raised.exception))

    def test_an_event_line_of_another_version_is_refused_by_name(self):
        with tempfile.TemporaryDirectory() as tmp:
            fake = os.path.join(tmp, "vidsearch")
            with open(fake, "w") as f:
                f.write('#!/bin/sh\necho \'{"version": 1, "path": "/a.mp4", "status": "indexed"}\'\n'
                        'echo \'{"version": 2, "path": "/b.mp4", "status": "indexed"}\'\n')
            os.chmod(fake, 0o755)
            with self.assertRaises(binary.VidsearchError) as raised:
                binary.run(fake, ["index", "--json"])
            self.assertIn("event line of version 2; this driver reads version 1", str(raised.exception))
            with open(fake, "w") as f:
                f.write('#!/bin/sh\necho \'{"version": 1, "summary": true}\'\n')
            status, objects, _ = binary.run(fake, ["index", "--json"])
            self.assertEqual((status, objects), (0, [{"version": 1, "summary": True}]))


if __name__ == "__main__":
    unittest.main()
