"""Back-end simulators, written from the specification alone (never from kiosk.backends).

rapyd.py      RapydSimulator: the Rapyd POS API as an ASGI app (the in-process API)
demo.py       the Rapyd simulator's demo merchant and customers (each package has its demo.py)
routes.py     which (method, path) is which POS operation
signing.py    request authentication (access key, salt, timestamp, signature)
otp.py        time-step one-time codes per (wallet phone, POS)
operations.py business rules: sessions, deposit, withdraw, reversal
ledger.py     the persistent books (SQLite)
envelope.py   the response envelope and exact JSON numbers
currencies.py supported currencies and amount parsing
faults.py     the fault catalogue (every simulator's, each with its own operation names)
books.py      SqliteBooks: the durable SQLite base of every simulator's books
pipeline.py   faults on the wire (gateway pages, cut connections) and the /faults endpoint, for all
bodylimit.py  request bodies over max_body_bytes (default 1 MiB) refused with 413, for all
control.py    the /_sim/ endpoints
server.py     serve() / start_in_thread() with uvicorn
composite.py  CompositeSimulator: every simulator (rapyd, pospointe, sdkfinance, flexiti) behind one server
cli.py        `kiosk sim` and `kiosk sim otp`
lazy.py       a package's names imported on first use: `kiosk demo` reads the demo values
              without importing the simulators, which start after its first screen
"""
