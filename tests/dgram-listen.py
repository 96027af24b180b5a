#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""Binds a Unix datagram socket at SOCKET and appends each datagram to LOG
as one line (newlines inside it become spaces), until a datagram holds
UNTIL or none comes for 30 s: a stand-in for /dev/log or systemd's notify
socket in the tests.

    dgram-listen.py SOCKET LOG [UNTIL]"""
import socket
import sys

s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
s.settimeout(30)
until = sys.argv[3] if len(sys.argv) > 3 else None
with open(sys.argv[2], "a") as log:
    try:
        while True:
            msg = s.recv(8192).decode(errors="replace")
            log.write(msg.replace("\n", " ") + "\n")
            log.flush()
            if until is not None and until in msg:
                break
    except socket.timeout:
        pass
