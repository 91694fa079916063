"""Network attacks: the sandbox has no network but its own loopback.

Every address aimed at is on this machine: the Docker bridge gateway (read from
``docker network inspect bridge``), 127.0.0.1, and an abstract unix socket of the host.
"""

from __future__ import annotations

import contextlib
import ipaddress
import socket
import subprocess
import threading
import uuid
from collections.abc import Iterator

import docker
import pytest

from tests.helpers.attack_images import attack_image
from tests.helpers.battery import Battery

pytestmark = pytest.mark.docker


def bridge_gateway(client: docker.DockerClient) -> str:
    """The bridge network's gateway address (this machine's end of docker0)."""
    config = client.networks.get("bridge").attrs["IPAM"]["Config"][0]
    return config.get("Gateway") or str(next(ipaddress.ip_network(config["Subnet"]).hosts()))


def local_address(client: docker.DockerClient) -> str:
    """An address of this machine that is not loopback: the bridge gateway, if docker0 holds it.

    Without docker0 (any dockerd started with ``--bridge none`` on this host deletes it; the
    suite's private one runs in its own network namespace) the gateway address would be routed
    off this machine, so the first global address of this machine is used instead.
    """
    candidates = [bridge_gateway(client)]
    shown = subprocess.run(["ip", "-4", "-o", "addr", "show", "scope", "global"], capture_output=True, text=True)
    candidates += [fields[3].split("/")[0] for fields in map(str.split, shown.stdout.splitlines()) if len(fields) > 3]
    for address in candidates:
        with socket.socket() as probe:
            try:
                probe.bind((address, 0))  # succeeds only for an address of this machine
            except OSError:
                continue
        return address
    pytest.fail(f"no local non-loopback address among {candidates}")


class Listeners:
    """A TCP and a UDP listener on the bridge gateway and an abstract unix socket, counting what reaches them."""

    def __init__(self, gateway: str) -> None:
        self.tcp = socket.create_server((gateway, 0))
        self.udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.udp.bind((gateway, 0))
        self.abstract_name = f"evalbox-security-{uuid.uuid4().hex[:12]}"
        self.unix = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.unix.bind("\0" + self.abstract_name)
        self.unix.listen()
        self.received: list[str] = []
        self._stop = threading.Event()
        for sock, kind in ((self.tcp, "tcp"), (self.udp, "udp"), (self.unix, "unix")):
            sock.settimeout(0.2)
            threading.Thread(target=self._serve, args=(sock, kind), daemon=True).start()

    def _serve(self, sock: socket.socket, kind: str) -> None:
        while not self._stop.is_set():
            try:
                if kind == "udp":
                    sock.recvfrom(4096)
                else:
                    conn, _ = sock.accept()
                    conn.close()
            except (TimeoutError, OSError):
                continue
            self.received.append(kind)

    def close(self) -> None:
        """Stop the threads and close the sockets."""
        self._stop.set()
        for sock in (self.tcp, self.udp, self.unix):
            sock.close()


@pytest.fixture
def listeners(docker_client: docker.DockerClient) -> Iterator[Listeners]:
    """Listeners on this machine's bridge gateway (see :func:`local_address`) and in the host's abstract namespace."""
    found = Listeners(local_address(docker_client))
    yield found
    found.close()


def test_no_network_but_loopback(battery: Battery, listeners: Listeners) -> None:
    gateway, tcp_port = listeners.tcp.getsockname()
    udp_port = listeners.udp.getsockname()[1]
    site_port = battery.site.server.server_address[1]
    image = attack_image("network", f"""
echo "ifaces: $(ls /sys/class/net | tr '\\n' ' ')"
# Control: nc works inside, over the sandbox's own loopback.
nc -l -p 7777 > /tmp/got &
sleep 0.5
echo ping | nc -w 2 127.0.0.1 7777
sleep 0.3
echo "loopback-control: $(cat /tmp/got)"
out=$(nc -w 2 {gateway} {tcp_port} </dev/null 2>&1); echo "tcp-gateway: rc=$? $out"
out=$(nc -w 2 {gateway} {site_port} </dev/null 2>&1); echo "tcp-gateway-site-port: rc=$? $out"
out=$(nc -w 2 127.0.0.1 {site_port} </dev/null 2>&1); echo "tcp-site-on-loopback: rc=$? $out"
out=$(echo x | nc -u -w 1 {gateway} {udp_port} 2>&1); echo "udp-gateway: rc=$? $out"
out=$(nslookup -timeout=1 evalbox-site.test {gateway} 2>&1); echo "dns-gateway: rc=$? $(echo $out)"
out=$(nslookup -timeout=1 evalbox-site.test 127.0.0.1 2>&1); echo "dns-loopback: rc=$? $(echo $out)"
probe raw
probe abstract {listeners.abstract_name}
echo 42 > /mnt/out/predictions.txt
""")
    result = battery.submit(image)
    assert result["status"] == "FINISHED", result
    log = result["participant_log"]
    assert "ifaces: lo \n" in log, log
    assert "loopback-control: ping" in log, log  # the tools work: failures below are the sandbox's doing
    for attempt in ("tcp-gateway", "tcp-gateway-site-port", "tcp-site-on-loopback", "dns-gateway", "dns-loopback"):
        line = next(line for line in log.splitlines() if line.startswith(attempt + ": "))
        assert not line.startswith(f"{attempt}: rc=0"), line
    for attempt in ("raw-icmp", "raw-tcp", "packet"):
        assert f"{attempt}: ok" not in log and f"{attempt}: E" in log, log
    assert "abstract-connect: ECONNREFUSED" in log, log  # the host's abstract sockets are another namespace
    assert listeners.received == [], listeners.received
    assert [r.path for r in battery.site.requests if "status" not in r.path and "logs" not in r.path
            and "result" not in r.path] == []  # the site heard only the worker
    # The listeners do work: this machine reaches them.
    with contextlib.closing(socket.create_connection((gateway, tcp_port), timeout=2)):
        pass
    for _ in range(20):
        if listeners.received:
            break
        threading.Event().wait(0.05)
    assert listeners.received == ["tcp"]
