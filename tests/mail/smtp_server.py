#!/usr/bin/env python3
"""A real SMTP server for the tests (aiosmtpd), on 127.0.0.1 and a free port.

Usage: smtp_server.py DIR [PORT]. Prints "port N" once listening. Each message
received is written to DIR/<n>.json: the envelope (mail_from, rcpt_tos),
the raw message, and what Python's email package parses from it (headers
in order, and each leaf part's type, file name and decoded content).

Chosen recipients get chosen answers (per address, in memory):
  tempfail<N>@...  451 for the first N RCPTs, then accepted
  reject@...       550 always
"""
import asyncio
import email
import email.policy
import json
import os
import sys

from aiosmtpd.smtp import SMTP

OUT = sys.argv[1]
tries = {}
count = 0


def parsed(raw):
    msg = email.message_from_bytes(raw, policy=email.policy.default)
    parts = []
    for part in msg.walk():
        if part.is_multipart():
            parts.append({"content_type": part.get_content_type(), "multipart": True})
            continue
        body = part.get_payload(decode=True) or b""
        entry = {
            "content_type": part.get_content_type(),
            "filename": part.get_filename(),
            "size": len(body),
        }
        if part.get_content_maintype() == "text":
            entry["text"] = body.decode(part.get_content_charset() or "utf-8", "replace")
        parts.append(entry)
    headers = [[k, str(v)] for k, v in msg.items()]
    return {"headers": headers, "parts": parts}


class Handler:
    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        local = address.split("@")[0].lower()
        if local.startswith("reject"):
            return "550 5.1.1 mailbox unavailable"
        if local.startswith("tempfail"):
            n = int(local[len("tempfail"):] or "1")
            seen = tries.get(address, 0)
            tries[address] = seen + 1
            if seen < n:
                return "451 4.3.0 try again later"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        global count
        count += 1
        raw = envelope.original_content or envelope.content
        record = {
            "mail_from": envelope.mail_from,
            "rcpt_tos": envelope.rcpt_tos,
            "raw": raw.decode("utf-8", "replace"),
        }
        record.update(parsed(raw))
        tmp = os.path.join(OUT, f".{count:05}.tmp")
        with open(tmp, "w") as f:
            json.dump(record, f)
        os.rename(tmp, os.path.join(OUT, f"{count:05}.json"))
        return f"250 2.0.0 Ok: queued as test{count}"


async def main():
    loop = asyncio.get_running_loop()
    server = await loop.create_server(
        lambda: SMTP(Handler(), hostname="smtp.test", decode_data=False),
        "127.0.0.1",
        int(sys.argv[2]) if len(sys.argv) > 2 else 0,
    )
    print(f"port {server.sockets[0].getsockname()[1]}", flush=True)
    async with server:
        await server.serve_forever()


asyncio.run(main())
