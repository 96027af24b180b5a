#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""Holds COUNT TCP connections from SOURCE to 127.0.0.1:PORT for SECONDS,
reopening those the server closes, and sends each one byte of a TLS
ClientHello every INTERVAL seconds (INTERVAL 0: sends nothing). Prints
how many connections it opened in all."""
import socket
import sys
import time

port, source, count, seconds, interval = (int(sys.argv[1]), sys.argv[2],
                                          int(sys.argv[3]), float(sys.argv[4]),
                                          float(sys.argv[5]))
# The start of a TLS record carrying a ClientHello, sent a byte at a time.
hello = bytes([0x16, 0x03, 0x01, 0x02, 0x00, 0x01, 0x00, 0x01, 0xfc, 0x03, 0x03]) + bytes(500)
opened = 0
conns = []


def open_one():
    global opened
    try:
        s = socket.create_connection(("127.0.0.1", port), timeout=1,
                                     source_address=(source, 0))
    except OSError:
        return None
    s.setblocking(False)
    opened += 1
    return [s, 0]


end = time.time() + seconds
while time.time() < end:
    conns = [c for c in conns if c is not None]
    while len(conns) < count and time.time() < end:
        c = open_one()
        if c is None:
            break
        conns.append(c)
    for c in conns:
        if interval == 0:
            continue
        try:
            c[0].send(hello[c[1] % len(hello):c[1] % len(hello) + 1])
            c[1] += 1
        except OSError:
            c[0].close()
            conns[conns.index(c)] = None
    # a connection the server closed reads as EOF or an error
    for i, c in enumerate(conns):
        if c is None:
            continue
        try:
            if c[0].recv(4096) == b"":
                c[0].close()
                conns[i] = None
        except BlockingIOError:
            pass
        except OSError:
            c[0].close()
            conns[i] = None
    time.sleep(interval if interval > 0 else 0.2)
print("opened", opened, flush=True)
