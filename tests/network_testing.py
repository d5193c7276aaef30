"""A free TCP port on the loopback interface, for the tests that start a
process group or a server."""
import socket


def free_port() -> int:
    """A port nobody listens on now (the OS picks it; free until someone
    binds it)."""
    with socket.socket() as sock:
        sock.bind(('127.0.0.1', 0))
        return sock.getsockname()[1]
