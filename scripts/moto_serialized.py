"""moto's server mode with requests executed one at a time.

Real DynamoDB executes TransactWriteItems serializably. moto's server is
threaded and its DynamoDB backend takes no lock: two concurrent
transactions can both pass the same condition, and a cancelled one
restores a deep copy of the table taken before a concurrent one wrote
(measured here: two winners in a 20-way race for one address). Holding
one lock around each request makes moto's conditions and transactions
atomic, as DynamoDB's are, while connections are still accepted
concurrently. Everything else is moto's own `moto_server` main.

Usage: python moto_serialized.py HOST PORT
"""

import os
import sys
import threading

from werkzeug.serving import run_simple
from moto.moto_server.werkzeug_app import (
    DomainDispatcherApplication,
    MotoRequestHandler,
    create_backend_app,
)


def main() -> None:
    host, port = sys.argv[1], int(sys.argv[2])
    os.environ.setdefault("MOTO_PORT", str(port))
    app = DomainDispatcherApplication(create_backend_app)
    lock = threading.Lock()

    def serialized(environ, start_response):
        with lock:
            # Consume the response inside the lock: moto builds it lazily.
            return list(app(environ, start_response))

    run_simple(host, port, serialized, threaded=True, request_handler=MotoRequestHandler)


if __name__ == "__main__":
    main()
