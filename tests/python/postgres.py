"""A throwaway PostgreSQL server for tests: Debian's package (postgresql), a fresh
cluster in a temporary folder, TLS with a certificate from a CA made for the run, on
127.0.0.1 with a free port; stopped by its process id.

Run as root (CI), the server runs as the `postgres` user the package creates: initdb
and postgres refuse root.
"""
import glob
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time

import pg8000.native

USER = "app_admin"
PASSWORD = "a-password-for-tests"


def _bin(name):
    found = shutil.which(name) or next(iter(sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"), reverse=True)), None)
    if not found:
        raise RuntimeError(
            f"{name} not found: these tests need a PostgreSQL server (Debian: apt-get install postgresql)"
        )
    return found


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _openssl(*args, cwd):
    subprocess.run(["openssl", *args], cwd=cwd, check=True, capture_output=True)


def make_certificates(folder):
    """ca.pem (a CA made for the run) and server.pem/server.key it signed for 127.0.0.1."""
    _openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=perimeter test CA",
             "-keyout", "ca.key", "-out", "ca.pem", cwd=folder)
    with open(os.path.join(folder, "san.cnf"), "w") as f:
        f.write("subjectAltName=IP:127.0.0.1,DNS:localhost\n")
    _openssl("req", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=127.0.0.1",
             "-keyout", "server.key", "-out", "server.csr", cwd=folder)
    _openssl("x509", "-req", "-in", "server.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial",
             "-days", "2", "-extfile", "san.cnf", "-out", "server.pem", cwd=folder)
    # A second CA that signed nothing: a client trusting only it must refuse the server.
    _openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=another CA",
             "-keyout", "other.key", "-out", "other-ca.pem", cwd=folder)


class Server:
    def __init__(self):
        self.dir = tempfile.mkdtemp(prefix="perimeter-pg-")
        self.port = _free_port()
        self.proc = None

    def _as_server_user(self):
        if os.geteuid() != 0:
            return []
        # setpriv execs (no fork), so the process id is the server's own.
        return ["setpriv", "--reuid=postgres", "--regid=postgres", "--init-groups", "--"]

    def start(self):
        data, tls = os.path.join(self.dir, "data"), os.path.join(self.dir, "tls")
        os.makedirs(tls)
        make_certificates(tls)
        pwfile = os.path.join(self.dir, "pw")
        with open(pwfile, "w") as f:
            f.write(PASSWORD)
        if os.geteuid() == 0:
            shutil.chown(self.dir, "postgres", "postgres")
            for root, dirs, files in os.walk(self.dir):
                for n in dirs + files:
                    shutil.chown(os.path.join(root, n), "postgres", "postgres")
        os.chmod(os.path.join(tls, "server.key"), 0o600)
        subprocess.run(
            self._as_server_user() + [_bin("initdb"), "-D", data, "-U", USER, f"--pwfile={pwfile}",
                                      "--auth=scram-sha-256", "--encoding=UTF8", "--no-instructions"],
            check=True, capture_output=True,
        )
        # TLS only: a connection without it is refused.
        with open(os.path.join(data, "pg_hba.conf"), "w") as f:
            f.write("hostssl all all 127.0.0.1/32 scram-sha-256\n")
        self._log = open(os.path.join(self.dir, "server.log"), "w")
        self.proc = subprocess.Popen(
            self._as_server_user() + [
                _bin("postgres"), "-D", data, "-p", str(self.port), "-k", self.dir,
                "-c", "listen_addresses=127.0.0.1", "-c", "ssl=on",
                "-c", f"ssl_cert_file={tls}/server.pem", "-c", f"ssl_key_file={tls}/server.key",
                "-c", "fsync=off",
            ],
            stdout=subprocess.DEVNULL, stderr=self._log,
        )
        deadline = time.time() + 30
        while True:
            try:
                self.connect().close()
                return self
            except Exception:
                if self.proc.poll() is not None or time.time() > deadline:
                    log = open(os.path.join(self.dir, "server.log")).read()
                    self.stop()
                    raise RuntimeError(f"PostgreSQL did not start:\n{log}")
                time.sleep(0.1)

    @property
    def ca_file(self):
        return os.path.join(self.dir, "tls", "ca.pem")

    @property
    def other_ca_file(self):
        return os.path.join(self.dir, "tls", "other-ca.pem")

    def connect(self, database="postgres"):
        import ssl

        return pg8000.native.Connection(
            USER, password=PASSWORD, host="127.0.0.1", port=self.port, database=database,
            ssl_context=ssl.create_default_context(cafile=self.ca_file), timeout=10,
        )

    def stop(self):
        if self.proc and self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGINT)  # fast shutdown
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.kill(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
        if self.proc:
            self._log.close()
        shutil.rmtree(self.dir, ignore_errors=True)
