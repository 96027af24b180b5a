# SPDX-License-Identifier: BSD-3-Clause
"""A KP that dies mid-answer: /capabilities is answered whole, every other
request gets headers promising a 150-byte body, 40 bytes of it, and then the
TCP connection closes without a TLS close_notify.

    truncating-kp.py PORT CERT KEY
"""
import socket
import ssl
import sys

CAPS = (b'{"entropy":true,"key":true,"algorithm":"x",'
        b'"localSystemID":"Cut","remoteSystemID":["Bob"]}')


def answer(conn):
    request = b""
    while b"\r\n\r\n" not in request:
        chunk = conn.recv(4096)
        if not chunk:
            return
        request += chunk
    path = request.split(b" ")[1]
    if path.startswith(b"/capabilities"):
        conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                     b"Connection: close\r\nContent-Length: %d\r\n\r\n"
                     % len(CAPS) + CAPS)
        conn.close()
        return
    conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                 b"Content-Length: 150\r\n\r\n"
                 b'{"keyId":"00112233445566778899aabbccdd')
    # Abrupt: no close_notify, just the socket going away.
    conn.shutdown(socket.SHUT_RDWR)
    conn.close()


def main():
    port, cert, key = int(sys.argv[1]), sys.argv[2], sys.argv[3]
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.minimum_version = ssl.TLSVersion.TLSv1_3
    ctx.load_cert_chain(cert, key)
    listener = socket.create_server(("127.0.0.1", port))
    while True:
        sock, _ = listener.accept()
        try:
            answer(ctx.wrap_socket(sock, server_side=True))
        except (ssl.SSLError, OSError):
            sock.close()


if __name__ == "__main__":
    main()
