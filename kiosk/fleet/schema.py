"""The central schema (PostgreSQL, schema `fleet`), created and migrated by `kiosk fleet init`.

Tables
  tills       one line per till: its store, chain number, last sequence and head acknowledged,
              last seen, open shift; updated by every push
  rows        every journal row of every till, partitioned by day (RANGE on the row's UTC
              date; partitions made on demand by ensure_days), key (till, chain, seq, day)
  visits      each visit's summary as the till last reported it, partitioned by the day it
              started: the report and reconciliation read one day's partition
  escalations the till's outbox items that need a person (replaced at every push)
  breaks      what the server found wrong in a till's chain: a gap in the sequence, a row that
              does not follow the one before it (prev_hash), a row re-sent at the same
              sequence with other content (rewritten history), a chain that starts again
  till_roles  which database role ships for which till

The checks run on the server, in fleet.ship (SECURITY DEFINER), as rows arrive: a till's role
may only EXECUTE fleet.cursor / fleet.ensure_days / fleet.ship for its own till and holds no
table privilege, so it can neither skip the checks nor write another till's rows. Head office
(role fleet_head_office) reads everything. Rows' hashes are keyed on the till (HMAC), so the
server checks the chain's links, not each row's hash.

Migrations are numbered; `migrate` applies the missing ones in order, under an advisory lock,
each in its own transaction, so running init twice (or from two places at once) is harmless.
"""

from __future__ import annotations

from typing import Any

GENESIS = "0" * 64
TILL_ROLE = "fleet_till"
HEAD_OFFICE_ROLE = "fleet_head_office"
_LOCK = 0x6B696F736B  # advisory lock key for migrations ("kiosk")

_V1 = r"""
CREATE SCHEMA IF NOT EXISTS fleet;
CREATE TABLE fleet.tills (
    till_id         text PRIMARY KEY,
    store_id        text NOT NULL DEFAULT '',
    chain           integer NOT NULL DEFAULT 1,
    first_seen      timestamptz NOT NULL DEFAULT now(),
    last_seen       timestamptz NOT NULL DEFAULT now(),
    last_seq        bigint NOT NULL DEFAULT 0,
    head            text NOT NULL DEFAULT '0000000000000000000000000000000000000000000000000000000000000000',
    shift_open_seq  bigint,
    shift_opened_at timestamptz,
    shift_cashier   text,
    shift_close_seq bigint
);
CREATE TABLE fleet.till_roles (
    role_name text PRIMARY KEY,
    till_id   text NOT NULL UNIQUE
);
CREATE TABLE fleet.rows (
    till_id     text NOT NULL,
    chain       integer NOT NULL,
    seq         bigint NOT NULL,
    day         date NOT NULL,
    at          timestamptz NOT NULL,
    visit_id    text,
    step        text NOT NULL,
    data        jsonb NOT NULL,
    prev_hash   text NOT NULL,
    hash        text NOT NULL,
    received_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (till_id, chain, seq, day)
) PARTITION BY RANGE (day);
-- Shift openings and closings (the open shift, the Z reports' variances) by day.
CREATE INDEX rows_shifts ON fleet.rows (till_id, seq) WHERE step IN ('SHIFT_OPENED', 'SHIFT_CLOSED');
CREATE TABLE fleet.visits (
    day            date NOT NULL,
    till_id        text NOT NULL,
    visit_id       text NOT NULL,
    started_at     timestamptz NOT NULL,
    kind           text,
    amount         numeric,
    currency       text,
    transaction_id text,
    state          text NOT NULL,
    last_step      text NOT NULL,
    cash_delta     numeric,
    cashier        text,
    resolution     text,
    PRIMARY KEY (day, till_id, visit_id)
) PARTITION BY RANGE (day);
CREATE INDEX visits_suspect ON fleet.visits (till_id) WHERE state = 'suspect' AND resolution IS NULL;
CREATE INDEX visits_by_transaction ON fleet.visits (transaction_id) WHERE transaction_id IS NOT NULL;
CREATE TABLE fleet.escalations (
    till_id   text NOT NULL,
    outbox_id bigint NOT NULL,
    visit_id  text NOT NULL,
    action    text NOT NULL,
    error     text,
    attempts  integer NOT NULL,
    PRIMARY KEY (till_id, outbox_id)
);
CREATE TABLE fleet.breaks (
    id       bigserial PRIMARY KEY,
    till_id  text NOT NULL,
    chain    integer NOT NULL,
    seq      bigint NOT NULL,
    kind     text NOT NULL CHECK (kind IN ('gap', 'chain', 'rewritten', 'restarted')),
    detail   text NOT NULL,
    found_at timestamptz NOT NULL DEFAULT now(),
    UNIQUE (till_id, chain, seq, kind)
);
CREATE INDEX breaks_by_till ON fleet.breaks (till_id, id);

-- Who may ship for a till: a member of fleet_till ships only the till mapped to its role;
-- any other role allowed to EXECUTE (the schema's owner) may ship for any till.
CREATE FUNCTION fleet._authorise(p_till text) RETURNS void
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = fleet, pg_temp AS $$
DECLARE
    mapped text;
BEGIN
    SELECT till_id INTO mapped FROM fleet.till_roles WHERE role_name = session_user;
    IF mapped IS NULL THEN
        IF pg_has_role(session_user, 'fleet_till', 'MEMBER')
           AND NOT pg_has_role(session_user, (SELECT nspowner FROM pg_namespace WHERE nspname = 'fleet'), 'MEMBER') THEN
            RAISE EXCEPTION 'role % is not mapped to a till (fleet.till_roles)', session_user USING ERRCODE = '42501';
        END IF;
    END IF;
    IF mapped IS NOT NULL AND mapped <> p_till THEN
        RAISE EXCEPTION 'role % ships for till %, not %', session_user, mapped, p_till USING ERRCODE = '42501';
    END IF;
    IF p_till !~ '^[A-Za-z0-9._-]{1,64}$' THEN
        RAISE EXCEPTION 'till id % is not valid', p_till USING ERRCODE = '22023';
    END IF;
END $$;

-- What the server acknowledged for a till: its current chain, last sequence and head.
CREATE FUNCTION fleet.cursor(p_till text, OUT chain integer, OUT last_seq bigint, OUT head text)
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = fleet, pg_temp AS $$
BEGIN
    PERFORM fleet._authorise(p_till);
    SELECT t.chain, t.last_seq, t.head INTO chain, last_seq, head FROM fleet.tills t WHERE t.till_id = p_till;
    IF NOT FOUND THEN
        chain := 1; last_seq := 0; head := repeat('0', 64);
    END IF;
END $$;

-- Day partitions of rows and visits, made before a push that needs them, in a transaction of
-- their own (creating a partition locks its parent: never inside a long shipping transaction).
CREATE FUNCTION fleet.ensure_days(p_days date[]) RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = fleet, pg_temp AS $$
DECLARE
    d date;
    parent text;
    part text;
BEGIN
    FOREACH d IN ARRAY p_days LOOP
        FOREACH parent IN ARRAY ARRAY['rows', 'visits'] LOOP
            part := format('%s_%s', parent, to_char(d, 'YYYYMMDD'));
            IF to_regclass(format('fleet.%I', part)) IS NULL THEN
                PERFORM pg_advisory_xact_lock(hashtext(part));
                -- Another push may have made it meanwhile (the catalogue this function sees
                -- can lag behind the lock): its "already exists" is the answer wanted.
                BEGIN
                    EXECUTE format('CREATE TABLE IF NOT EXISTS fleet.%I PARTITION OF fleet.%I FOR VALUES FROM (%L) TO (%L)',
                                   part, parent, d, d + 1);
                EXCEPTION WHEN duplicate_table OR unique_violation THEN
                    NULL;
                END;
            END IF;
        END LOOP;
    END LOOP;
END $$;

-- One batch from a till: rows (ascending seq), the summaries of the visits they touch, and the
-- till's escalated outbox items (NULL: unchanged). Idempotent; checks the chain as it goes.
-- JSON, not jsonb: each row's data is parsed once, into the jsonb it is stored as.
CREATE FUNCTION fleet.ship(p_till text, p_store text, p_rows json, p_visits json, p_escalations json)
RETURNS jsonb
LANGUAGE plpgsql SECURITY DEFINER SET search_path = fleet, pg_temp AS $$
DECLARE
    t fleet.tills%ROWTYPE;
    genesis constant text := repeat('0', 64);
    n_new integer := 0;
    n_dup integer := 0;
    n_breaks integer := 0;
    added integer;
    top record;
BEGIN
    PERFORM fleet._authorise(p_till);
    INSERT INTO fleet.tills AS x (till_id, store_id) VALUES (p_till, coalesce(p_store, ''))
        ON CONFLICT (till_id) DO NOTHING;
    -- One push per till at a time: a second one waits here, then finds the rows already in.
    SELECT * INTO t FROM fleet.tills WHERE till_id = p_till FOR UPDATE;

    CREATE TEMP TABLE IF NOT EXISTS fleet_incoming (
        seq bigint, at timestamptz, visit_id text, step text, data jsonb, prev_hash text, hash text,
        fate text NOT NULL DEFAULT 'new') ON COMMIT DROP;
    TRUNCATE fleet_incoming;
    INSERT INTO fleet_incoming (seq, at, visit_id, step, data, prev_hash, hash)
        SELECT r.seq, r.at, r.visit_id, r.step, r.data, r.prev_hash, r.hash
        FROM json_to_recordset(coalesce(p_rows, '[]')) AS r(seq bigint, at timestamptz, visit_id text, step text,
                                                          data jsonb, prev_hash text, hash text);

    -- A first row unlike the one acknowledged: the till's journal was replaced. Its history
    -- goes on as a new chain; the old one stays for the investigation.
    IF EXISTS (SELECT 1 FROM fleet_incoming i JOIN fleet.rows r
               ON r.till_id = p_till AND r.chain = t.chain AND r.seq = 1
               WHERE i.seq = 1 AND r.hash <> i.hash) THEN
        INSERT INTO fleet.breaks (till_id, chain, seq, kind, detail)
            VALUES (p_till, t.chain, 1, 'restarted',
                    format('the journal starts again: row 1 differs from the one received before; %s rows of chain %s kept',
                           t.last_seq, t.chain))
            ON CONFLICT DO NOTHING;
        n_breaks := n_breaks + 1;
        UPDATE fleet.tills SET chain = chain + 1, last_seq = 0, head = genesis,
               shift_open_seq = NULL, shift_opened_at = NULL, shift_cashier = NULL, shift_close_seq = NULL
            WHERE till_id = p_till RETURNING * INTO t;
    END IF;

    -- Rows at or below the acknowledged sequence: the same again (a duplicate push), or other
    -- content at the same place (rewritten history: recorded, the first version kept).
    UPDATE fleet_incoming i SET fate = CASE
            WHEN r.seq IS NULL THEN 'late'
            WHEN (r.at, r.visit_id, r.step, r.data, r.prev_hash, r.hash)
                 IS NOT DISTINCT FROM (i.at, i.visit_id, i.step, i.data, i.prev_hash, i.hash) THEN 'duplicate'
            ELSE 'rewritten' END
        FROM fleet_incoming j LEFT JOIN fleet.rows r ON r.till_id = p_till AND r.chain = t.chain AND r.seq = j.seq
        WHERE i.seq = j.seq AND j.seq <= t.last_seq;
    SELECT count(*) INTO n_dup FROM fleet_incoming WHERE fate = 'duplicate';
    INSERT INTO fleet.breaks (till_id, chain, seq, kind, detail)
        SELECT p_till, t.chain, seq, 'rewritten',
               format('row %s (%s) was received before with other content: history rewritten', seq, step)
        FROM fleet_incoming WHERE fate = 'rewritten'
        ON CONFLICT DO NOTHING;
    GET DIAGNOSTICS added = ROW_COUNT;
    n_breaks := n_breaks + added;

    -- New rows: each must follow the one before it (in this batch, or the acknowledged head).
    WITH linked AS (
        SELECT seq, step, prev_hash,
               coalesce(lag(seq) OVER w, t.last_seq) AS before_seq,
               coalesce(lag(hash) OVER w, t.head) AS before_hash
        FROM fleet_incoming WHERE fate = 'new' WINDOW w AS (ORDER BY seq)
    ), found AS (
        SELECT seq,
               CASE WHEN seq <> before_seq + 1 THEN 'gap'
                    WHEN prev_hash = genesis AND seq > 1 THEN 'restarted'
                    WHEN prev_hash <> before_hash THEN 'chain' END AS kind,
               CASE WHEN seq <> before_seq + 1 THEN format('rows %s to %s are missing', before_seq + 1, seq - 1)
                    WHEN prev_hash = genesis AND seq > 1 THEN format('row %s (%s) starts a new chain', seq, step)
                    ELSE format('row %s (%s) does not follow row %s: removed, reordered or edited', seq, step, before_seq)
               END AS detail
        FROM linked
    )
    INSERT INTO fleet.breaks (till_id, chain, seq, kind, detail)
        SELECT p_till, t.chain, seq, kind, detail FROM found WHERE kind IS NOT NULL
        ON CONFLICT DO NOTHING;
    GET DIAGNOSTICS added = ROW_COUNT;
    n_breaks := n_breaks + added;

    INSERT INTO fleet.rows (till_id, chain, seq, day, at, visit_id, step, data, prev_hash, hash)
        SELECT p_till, t.chain, seq, (at AT TIME ZONE 'UTC')::date, at, visit_id, step, data, prev_hash, hash
        FROM fleet_incoming WHERE fate IN ('new', 'late')
        ON CONFLICT DO NOTHING;
    GET DIAGNOSTICS n_new = ROW_COUNT;

    SELECT seq, hash INTO top FROM fleet_incoming WHERE fate = 'new' ORDER BY seq DESC LIMIT 1;
    IF FOUND AND top.seq > t.last_seq THEN
        t.last_seq := top.seq;
        t.head := top.hash;
    END IF;
    -- The open shift: the latest opening not followed by a closing.
    SELECT seq, at, data->>'cashier' AS cashier INTO top FROM fleet_incoming
        WHERE fate = 'new' AND step = 'SHIFT_OPENED' ORDER BY seq DESC LIMIT 1;
    IF FOUND THEN
        t.shift_open_seq := top.seq; t.shift_opened_at := top.at; t.shift_cashier := top.cashier;
    END IF;
    SELECT max(seq) AS seq INTO top FROM fleet_incoming WHERE fate = 'new' AND step = 'SHIFT_CLOSED';
    IF top.seq IS NOT NULL THEN
        t.shift_close_seq := top.seq;
    END IF;
    UPDATE fleet.tills SET store_id = coalesce(nullif(p_store, ''), store_id), last_seen = now(),
           last_seq = t.last_seq, head = t.head, shift_open_seq = t.shift_open_seq,
           shift_opened_at = t.shift_opened_at, shift_cashier = t.shift_cashier, shift_close_seq = t.shift_close_seq
        WHERE till_id = p_till;

    INSERT INTO fleet.visits AS v (day, till_id, visit_id, started_at, kind, amount, currency, transaction_id,
                                   state, last_step, cash_delta, cashier, resolution)
        SELECT (s.started_at AT TIME ZONE 'UTC')::date, p_till, s.visit_id, s.started_at, s.kind, s.amount, s.currency,
               s.transaction_id, s.state, s.last_step, s.cash_delta, s.cashier, s.resolution
        FROM json_to_recordset(coalesce(p_visits, '[]')) AS s(visit_id text, started_at timestamptz, kind text,
             amount numeric, currency text, transaction_id text, state text, last_step text, cash_delta numeric,
             cashier text, resolution text)
        ON CONFLICT (day, till_id, visit_id) DO UPDATE SET
            kind = excluded.kind, amount = excluded.amount, currency = excluded.currency,
            transaction_id = excluded.transaction_id, state = excluded.state, last_step = excluded.last_step,
            cash_delta = excluded.cash_delta, cashier = excluded.cashier, resolution = excluded.resolution;

    IF p_escalations IS NOT NULL THEN
        DELETE FROM fleet.escalations WHERE till_id = p_till;
        INSERT INTO fleet.escalations (till_id, outbox_id, visit_id, action, error, attempts)
            SELECT p_till, e.id, e.visit_id, e.action, e.error, e.attempts
            FROM json_to_recordset(p_escalations) AS e(id bigint, visit_id text, action text, error text, attempts integer);
    END IF;

    RETURN jsonb_build_object('chain', t.chain, 'last_seq', t.last_seq, 'head', t.head,
                              'inserted', n_new, 'duplicates', n_dup, 'breaks', n_breaks);
END $$;

REVOKE ALL ON ALL FUNCTIONS IN SCHEMA fleet FROM PUBLIC;
"""

# Roles and grants: apart from the tables, so that an owner without CREATEROLE can still
# create the schema (the roles are then made by a database administrator; docs/operations.md).
_GRANTS = f"""
GRANT USAGE ON SCHEMA fleet TO {TILL_ROLE}, {HEAD_OFFICE_ROLE};
GRANT EXECUTE ON FUNCTION fleet.cursor(text), fleet.ensure_days(date[]),
    fleet.ship(text, text, json, json, json) TO {TILL_ROLE};
GRANT SELECT ON ALL TABLES IN SCHEMA fleet TO {HEAD_OFFICE_ROLE};
"""

MIGRATIONS: list[tuple[int, str, str]] = [
    (1, "tills, rows and visits by day, breaks, escalations; fleet.ship checks chains", _V1),
]


class SchemaError(Exception):
    pass


def migrate(conn: Any) -> list[str]:
    """Apply the missing migrations; return what was done (empty: already up to date).
    `conn` is a psycopg connection in autocommit mode."""
    done: list[str] = []
    with conn.transaction():
        conn.execute("SELECT pg_advisory_xact_lock(%s)", (_LOCK,))
        conn.execute("CREATE SCHEMA IF NOT EXISTS fleet")
        conn.execute(
            "CREATE TABLE IF NOT EXISTS fleet.migrations (version integer PRIMARY KEY, "
            "about text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())"
        )
        applied = {row[0] for row in conn.execute("SELECT version FROM fleet.migrations")}
        for version, about, sql in MIGRATIONS:
            if version in applied:
                continue
            conn.execute(sql)
            conn.execute("INSERT INTO fleet.migrations (version, about) VALUES (%s, %s)", (version, about))
            done.append(f"migration {version}: {about}")
    done += _roles(conn)
    return done


def _roles(conn: Any) -> list[str]:
    """The two group roles and their grants, when this login may create roles."""
    import psycopg

    notes = []
    for role in (TILL_ROLE, HEAD_OFFICE_ROLE):
        exists = conn.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", (role,)).fetchone()
        if not exists:
            try:
                conn.execute(f"CREATE ROLE {role} NOLOGIN")
                notes.append(f"role {role} created")
            except psycopg.errors.InsufficientPrivilege:
                notes.append(f"role {role} is missing and this login cannot create roles: see docs/operations.md")
                return notes
    conn.execute(_GRANTS)
    return notes


def schema_version(conn: Any) -> int:
    found = conn.execute("SELECT to_regclass('fleet.migrations')").fetchone()
    if found is None or found[0] is None:
        return 0
    return int(conn.execute("SELECT coalesce(max(version), 0) FROM fleet.migrations").fetchone()[0])


def latest_version() -> int:
    return MIGRATIONS[-1][0]
