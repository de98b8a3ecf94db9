"""A tiny authoritative DNS server on loopback (UDP) for deliverability tests, built on dnspython.

Names in `zone` answer with their records; names in `drop` never answer (timeouts); names in `servfail`
answer SERVFAIL; everything else is NXDOMAIN (or NOERROR/no data when the name has other record types).
"""

from __future__ import annotations

import socket
import threading
from typing import Self

import dns.message
import dns.rcode
import dns.rrset


class DnsServer:
    def __init__(self, zone: dict[tuple[str, str], list[str]], drop: set[str] = frozenset(),
                 servfail: set[str] = frozenset()) -> None:
        self.zone = {(n.lower().rstrip("."), t): v for (n, t), v in zone.items()}
        self.drop, self.servfail = set(drop), set(servfail)
        self.queries: list[tuple[str, str]] = []
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.settimeout(0.2)
        self.port = self.sock.getsockname()[1]
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)

    def __enter__(self) -> Self:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(2)
        self.sock.close()

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                data, addr = self.sock.recvfrom(4096)
            except TimeoutError:
                continue
            except OSError:
                return
            query = dns.message.from_wire(data)
            q = query.question[0]
            name, rdtype = q.name.to_text(omit_final_dot=True).lower(), dns.rdatatype.to_text(q.rdtype)
            self.queries.append((name, rdtype))
            if name in self.drop:
                continue
            response = dns.message.make_response(query)
            if name in self.servfail:
                response.set_rcode(dns.rcode.SERVFAIL)
            elif (name, rdtype) in self.zone:
                response.answer.append(dns.rrset.from_text_list(q.name, 300, "IN", rdtype, self.zone[(name, rdtype)]))
            elif not any(n == name for n, _ in self.zone):
                response.set_rcode(dns.rcode.NXDOMAIN)
            self.sock.sendto(response.to_wire(), addr)
