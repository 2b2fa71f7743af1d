-- lockstep serve: the team's records. Portable SQL: the same file runs on SQLite and
-- PostgreSQL (TEXT, BIGINT; ids made by the server; times in ms since 1970 UTC).
-- Evidence never lives here: cases are folders on disk, these rows only point at them.

CREATE TABLE users (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    role TEXT NOT NULL,
    password_hash TEXT,
    disabled BIGINT NOT NULL DEFAULT 0,
    created_at BIGINT NOT NULL
);

CREATE TABLE sessions (
    id_hash TEXT PRIMARY KEY,
    user_id TEXT NOT NULL REFERENCES users(id),
    csrf TEXT NOT NULL,
    address TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL
);
CREATE INDEX sessions_user ON sessions(user_id);

CREATE TABLE api_tokens (
    id TEXT PRIMARY KEY,
    user_id TEXT NOT NULL REFERENCES users(id),
    name TEXT NOT NULL,
    token_hash TEXT NOT NULL UNIQUE,
    created_at BIGINT NOT NULL,
    revoked_at BIGINT
);
CREATE INDEX api_tokens_user ON api_tokens(user_id);

CREATE TABLE cases (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    description TEXT NOT NULL,
    source TEXT NOT NULL,
    dir TEXT NOT NULL,
    state TEXT NOT NULL,
    failure TEXT,
    status TEXT NOT NULL,
    params TEXT NOT NULL,
    inputs TEXT NOT NULL,
    created_by TEXT NOT NULL REFERENCES users(id),
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    clusters BIGINT,
    accounts BIGINT,
    flagged BIGINT,
    watch_id TEXT
);
CREATE INDEX cases_created ON cases(created_at);

CREATE TABLE case_members (
    case_id TEXT NOT NULL REFERENCES cases(id),
    user_id TEXT NOT NULL REFERENCES users(id),
    added_by TEXT NOT NULL,
    added_at BIGINT NOT NULL,
    PRIMARY KEY (case_id, user_id)
);
CREATE INDEX case_members_user ON case_members(user_id);

-- Every verdict ever given (append-only history) ...
CREATE TABLE verdicts (
    id TEXT PRIMARY KEY,
    case_id TEXT NOT NULL REFERENCES cases(id),
    target_kind TEXT NOT NULL,
    target TEXT NOT NULL,
    cluster BIGINT,
    verdict TEXT NOT NULL,
    user_id TEXT NOT NULL REFERENCES users(id),
    at BIGINT NOT NULL
);
CREATE INDEX verdicts_target ON verdicts(case_id, target_kind, target);
CREATE INDEX verdicts_cluster ON verdicts(case_id, cluster);

-- ... and the one in force per target, so lists read one row per target.
CREATE TABLE current_verdicts (
    case_id TEXT NOT NULL REFERENCES cases(id),
    target_kind TEXT NOT NULL,
    target TEXT NOT NULL,
    cluster BIGINT,
    verdict TEXT NOT NULL,
    user_id TEXT NOT NULL,
    at BIGINT NOT NULL,
    PRIMARY KEY (case_id, target_kind, target)
);
CREATE INDEX current_verdicts_cluster ON current_verdicts(case_id, cluster);

CREATE TABLE notes (
    id TEXT PRIMARY KEY,
    case_id TEXT NOT NULL REFERENCES cases(id),
    target_kind TEXT NOT NULL,
    target TEXT NOT NULL,
    cluster BIGINT,
    body TEXT NOT NULL,
    user_id TEXT NOT NULL REFERENCES users(id),
    at BIGINT NOT NULL
);
CREATE INDEX notes_cluster ON notes(case_id, cluster);

CREATE TABLE assignments (
    case_id TEXT NOT NULL REFERENCES cases(id),
    cluster BIGINT NOT NULL,
    assignee TEXT REFERENCES users(id),
    assigned_by TEXT NOT NULL,
    at BIGINT NOT NULL,
    PRIMARY KEY (case_id, cluster)
);

-- Append-only: the server has no UPDATE or DELETE statement for this table.
CREATE TABLE audit (
    id TEXT PRIMARY KEY,
    at BIGINT NOT NULL,
    actor TEXT,
    address TEXT NOT NULL,
    action TEXT NOT NULL,
    outcome TEXT NOT NULL,
    case_id TEXT,
    cluster BIGINT,
    target TEXT,
    detail TEXT NOT NULL
);
CREATE INDEX audit_case ON audit(case_id, cluster);
CREATE INDEX audit_at ON audit(at);

CREATE TABLE watches (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    state TEXT NOT NULL,
    spec TEXT NOT NULL,
    failure TEXT,
    created_by TEXT NOT NULL REFERENCES users(id),
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);

CREATE TABLE alerts (
    id TEXT PRIMARY KEY,
    watch_id TEXT NOT NULL REFERENCES watches(id),
    at BIGINT NOT NULL,
    title TEXT NOT NULL,
    detail TEXT NOT NULL,
    case_id TEXT
);
CREATE INDEX alerts_at ON alerts(at);
