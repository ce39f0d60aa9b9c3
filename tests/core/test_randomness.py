"""Per-request random values come from the kernel in blocks: each byte once, never shared by a
forked child with its parent."""

from __future__ import annotations

import os

from versehub.core.randomness import POOL, RandomPool, token_hex, token_urlsafe


def test_pieces_are_never_handed_out_twice() -> None:
    pool = RandomPool(block=64)
    pieces = [pool.take(16) for _ in range(200)]  # several blocks
    assert all(len(piece) == 16 for piece in pieces)
    assert len(set(pieces)) == len(pieces)
    assert len(pool.take(100)) == 100  # larger than a block


def test_tokens_have_the_shapes_of_the_secrets_module() -> None:
    assert len(token_hex(16)) == 32
    int(token_hex(16), 16)
    nonce = token_urlsafe(16)
    assert len(nonce) == 22
    assert set(nonce) <= set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")


def test_a_forked_child_never_hands_out_its_parents_bytes() -> None:
    POOL.take(1)  # the parent has a block with unread bytes
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: what it would hand out next
        os.close(read)
        os.write(write, POOL.take(16))
        os._exit(0)
    os.close(write)
    child = os.read(read, 16)
    os.close(read)
    os.waitpid(pid, 0)
    assert len(child) == 16
    assert child != POOL.take(16)
