# A real SMTP server on loopback for the notify tests (Debian's python3-aiosmtpd).
# usage: smtp_sink.py PORT DIR [USER PASSWORD | --starttls CERT KEY] — each mail accepted is written to DIR/mail-NNN.eml (the
# bytes as received) with DIR/mail-NNN.env (MAIL FROM, then one RCPT TO per line); DIR/ready
# appears once the server listens. No STARTTLS is offered. With USER and PASSWORD, AUTH is
# required (offered without TLS) and each attempt is appended to DIR/auth.log as
# "LOGIN ok|bad". With --starttls, STARTTLS is offered (CERT/KEY in PEM) and required before
# MAIL FROM. Stops on SIGTERM.
import logging
import os
import signal
import ssl
import sys
import threading
import warnings

warnings.simplefilter("ignore")
logging.getLogger("mail.log").setLevel(logging.CRITICAL)

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult

port = int(sys.argv[1])
out = sys.argv[2]


class Sink:
    def __init__(self):
        self.count = 0
        self.lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):
        with self.lock:
            self.count += 1
            base = os.path.join(out, "mail-%03d" % self.count)
        with open(base + ".env", "w") as f:
            f.write(envelope.mail_from + "\n")
            for rcpt in envelope.rcpt_tos:
                f.write(rcpt + "\n")
        with open(base + ".tmp", "wb") as f:
            f.write(envelope.original_content)
        os.rename(base + ".tmp", base + ".eml")
        return "250 OK"


def authenticator(server, session, envelope, mechanism, auth_data):
    login = auth_data.login.decode()
    ok = login == sys.argv[3] and auth_data.password.decode() == sys.argv[4]
    with open(os.path.join(out, "auth.log"), "a") as f:
        f.write("%s %s\n" % (login, "ok" if ok else "bad"))
    return AuthResult(success=ok)


if len(sys.argv) > 5 and sys.argv[3] == "--starttls":
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(sys.argv[4], sys.argv[5])
    controller = Controller(Sink(), hostname="127.0.0.1", port=port, tls_context=context,
                            require_starttls=True)
elif len(sys.argv) > 4:
    controller = Controller(Sink(), hostname="127.0.0.1", port=port, authenticator=authenticator,
                            auth_required=True, auth_require_tls=False)
else:
    controller = Controller(Sink(), hostname="127.0.0.1", port=port)
controller.start()
with open(os.path.join(out, "ready"), "w") as f:
    f.write("ready\n")
stop = threading.Event()
signal.signal(signal.SIGTERM, lambda *_: stop.set())
stop.wait()
controller.stop()
