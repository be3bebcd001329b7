"""`kieserver serve` (gunicorn, two workers) and `kieserver deploy`, as a user runs them."""
import os
import socket
import subprocess
import sys
import time

import requests

from tests.kjars import build_kjar

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def _free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def test_serve_and_deploy(tmp_path):
    port = _free_port()
    env = dict(os.environ, PYTHONPATH=ROOT)
    proc = subprocess.Popen([sys.executable, "-m", "kieserver.cli", "serve", "--host", "127.0.0.1", "--port", str(port),
                             "--home", str(tmp_path / "home"), "--workers", "2"],
                            cwd=str(tmp_path), env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    base = f"http://127.0.0.1:{port}/kie-server/services/rest/server"
    try:
        deadline = time.time() + 90   # generous: CI machines may be busy
        while time.time() < deadline:
            try:
                if requests.get(base + "/readycheck", timeout=2).status_code == 200:
                    break
            except requests.RequestException:
                pass
            time.sleep(0.2)
        else:
            raise AssertionError(proc.stderr.read1().decode() if proc.poll() is not None else "server did not start")
        kjar = tmp_path / "demo.jar"
        kjar.write_bytes(build_kjar())
        out = subprocess.run([sys.executable, "-m", "kieserver.cli", "deploy", str(kjar), "--container", "demo",
                              "--url", base], env=env, capture_output=True, text=True, timeout=60)
        assert out.returncode == 0, out.stdout + out.stderr
        assert "successfully deployed" in out.stdout
        # both workers see the container (it lives in the shared store)
        for _ in range(6):
            r = requests.get(base + "/containers/demo", auth=("kieserver", "kieserver1!"),
                             headers={"Accept": "application/json"}, timeout=5)
            assert r.status_code == 200 and r.json()["result"]["kie-container"]["status"] == "STARTED"
        assert (tmp_path / "home" / "kieserver.db").exists()
    finally:
        proc.terminate()
        proc.wait(15)
